/**
 * The core's `decide` as the shell and the HTTP API take it: the function itself (the events functions, which
 * decide on every invocation), or loaded at its first use (the AWS HTTP API, most of whose requests read and
 * write documents and never decide: the decision core, about 85 KB of its start-up bundle, is then a chunk of
 * its own that the first webhook, dry run or override loads; issue 18).
 */
import type { Decision } from '../../core/decision.ts';
import type { DecisionInput } from '../../core/schema/input.ts';
import { atFirstUse } from '../../adapters/at-first-use.ts';
import { ShellError } from './errors.ts';

/** The core's entry point (core/decide.ts). */
export type Decide = (input: DecisionInput) => Decision;

/** `decide`, loaded by the first delivery or request that decides. */
export interface LazyDecide {
  readonly load: () => Promise<Decide>;
}

/**
 * The decision core could not be loaded (a chunk missing or failing to evaluate): retryable, so a webhook is
 * answered 503 and delivered again, not 400 as a bad payload (the next delivery loads again).
 */
export class DecideLoadError extends ShellError {
  override readonly name = 'DecideLoadError';
  constructor(cause: unknown) {
    super(
      `the decision core could not be loaded (${cause instanceof Error ? cause.message : String(cause)}); deliver again`,
      { cause },
    );
  }
}

/**
 * A {@link LazyDecide} that loads once (and again after a failed load, which is that caller's
 * {@link DecideLoadError}).
 */
export function lazyDecide(load: () => Promise<Decide>): LazyDecide {
  return {
    load: atFirstUse(() =>
      load().catch((error: unknown) => {
        throw new DecideLoadError(error);
      }),
    ),
  };
}

/** The function itself: at once when it was given, else once loaded. */
export function decideOf(decide: Decide | LazyDecide): Decide | Promise<Decide> {
  return typeof decide === 'function' ? decide : decide.load();
}
