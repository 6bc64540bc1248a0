import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The time by which the current invocation must have its answer (epoch ms), carried through every await of
 * the work started inside {@link withStateDeadline}. A cloud function sets it from the time its platform
 * gives it (Lambda's `getRemainingTimeInMillis`), so a state store that does not answer cannot outlive the
 * function: each attempt's timeout is cut to the time left, and no attempt starts after it. Concurrent
 * requests (the HTTP server) each carry their own, or none.
 */
const deadlines = new AsyncLocalStorage<number>();

export function withStateDeadline<T>(deadlineAt: number, work: () => Promise<T>): Promise<T> {
  return deadlines.run(deadlineAt, work);
}

/** The current deadline, or undefined outside {@link withStateDeadline}. */
export function stateDeadline(): number | undefined {
  return deadlines.getStore();
}
