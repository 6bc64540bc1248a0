/**
 * The clock port: the one place the shell and the adapters read the time (core/ never does; it is given
 * `now`). Tests and the simulator pass a clock they advance themselves.
 */
export interface Clock {
  /** The current time, epoch milliseconds. */
  now(): number;
}

/** The machine's clock. */
export const systemClock: Clock = { now: () => Date.now() };
