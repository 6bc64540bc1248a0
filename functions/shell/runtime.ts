/**
 * {@link createRuntime}: the runtime of ./runtime-base.ts around the core's `decide`, loaded with the function
 * (the events functions decide on every invocation). The AWS HTTP API builds it with `createRuntimeWith` and
 * a `decide` loaded at its first use instead (functions/aws/http.ts).
 */
import { decide } from '../../core/decide.ts';
import { createRuntimeWith, type Runtime, type RuntimeOverrides } from './runtime-base.ts';

export * from './runtime-base.ts';

/**
 * Validate the environment and build the dependencies. Throws `RuntimeConfigError` on a bad `TIDE_MODE`, and
 * the state layer's `ValidationError` on a bad state variable, both naming the value.
 */
export function createRuntime(env: Record<string, string | undefined>, overrides: RuntimeOverrides): Runtime {
  return createRuntimeWith(decide, env, overrides);
}
