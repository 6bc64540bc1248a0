import { StateError } from './errors.ts';

/** The deployment already holds `maxKeys` API keys; the cap keeps the key space bounded. */
export class KeyLimitError extends StateError {
  override readonly name = 'KeyLimitError';
  constructor(readonly maxKeys: number) {
    super(`at most ${maxKeys} API keys per deployment, was: already ${maxKeys}`);
  }
}
