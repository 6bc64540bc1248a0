/** One cloud's end-to-end bench mode: `start` builds the function over local endpoints; `invoke(i)` delivers event i. */
export interface E2eCloud {
  name: string;
  start(options?: E2eOptions): Promise<{
    invoke(i: number): Promise<void>;
    /** Requests the local endpoint answered (every provider call). */
    providerCalls(): number | Promise<number>;
    /** Changes made (scale calls). */
    actions(): number | Promise<number>;
    /**
     * CPU time (µs, user + system) used so far by each process beside the bench's own that serves the events
     * (e.g. `redis`, the cloud's fake when it runs apart), so the figures say where the CPU went.
     */
    otherCpuUs?(): Promise<Record<string, number | null>>;
    /** How the mode ran, printed with the figures (e.g. where the cloud's fake ran). */
    setup?: Record<string, string>;
    stop(): Promise<void>;
  }>;
}

export interface E2eOptions {
  /** Run the cloud's local endpoint in the bench's own process (its CPU then counts as the bench's). */
  fakeInProcess?: boolean;
}
