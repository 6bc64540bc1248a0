import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The time by which the current invocation must have its answer (epoch ms), carried through every await of
 * the work started inside {@link withStateDeadline}. A cloud function sets it from the time its platform
 * gives it (Lambda's `getRemainingTimeInMillis`), so a state store that does not answer cannot outlive the
 * function: each attempt's timeout is cut to the time left, and no attempt starts after it. Concurrent
 * requests (the HTTP server) each carry their own, or none.
 *
 * Why not always AsyncLocalStorage: on Node 20 and 22 its first `run` turns on promise hooks for the whole
 * process, and from then on every promise pays for them (about 4 % of the CPU of an event in
 * `npm run bench:function`, and 6 KB of garbage per event). A Lambda instance runs one invocation at a time,
 * so the common case needs no context at all: the first run holds the deadline in a plain variable, and only
 * a run that starts while another is still going (an embedding that overlaps them) is carried by
 * AsyncLocalStorage. Work of the first run, which started outside any AsyncLocalStorage context, finds no
 * store and reads the variable; work of an overlapping run finds its own store. (Work outside every run
 * that overlaps the first one also reads the variable: it gets a deadline where it had none, which can only
 * cut its attempts short, never let one outlive an invocation.)
 */
const deadlines = new AsyncLocalStorage<number>();
/** The deadline of the run that holds the variable, while it runs (a deadline is never undefined). */
let held: number | undefined;
const release = () => {
  held = undefined;
};

export function withStateDeadline<T>(deadlineAt: number, work: () => Promise<T>): Promise<T> {
  if (held !== undefined) return deadlines.run(deadlineAt, work);
  held = deadlineAt;
  try {
    return work().finally(release);
  } catch (error) {
    release();
    throw error;
  }
}

/** The current deadline, or undefined outside {@link withStateDeadline}. */
export function stateDeadline(): number | undefined {
  return deadlines.getStore() ?? held;
}
