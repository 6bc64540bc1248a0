/** One cloud's end-to-end bench mode: `start` builds the function over local endpoints; `invoke(i)` delivers event i. */
export interface E2eCloud {
  name: string;
  start(options: E2eOptions): Promise<{
    invoke(i: number): Promise<void>;
    /** The cloud's fake: requests it answered (reads and writes) and its CPU. */
    fake: RunningFake;
    /** Events whose decision asked the cloud for a change (counted in this process, at the port). */
    actedEvents(): number;
    /**
     * CPU time (µs, user + system) used so far by each process beside the bench's own and the fake's that
     * serves the events (e.g. `redis`), so the figures say where the CPU went.
     */
    otherCpuUs?(): Promise<Record<string, number | null>>;
    /** How the mode ran, printed with the figures (e.g. how long a capacity read may be shared). */
    setup?: Record<string, string>;
    stop(): Promise<void>;
  }>;
}

export interface E2eOptions {
  /** Run the cloud's local endpoint in the bench's own process (its CPU then counts as the bench's). */
  fakeInProcess?: boolean;
  /** Share no capacity read: every event reads the provider (the figure without the shared reads). */
  readsPerEvent?: boolean;
  /** A target's events between two changes of its demand (./workload.ts). */
  holdEvents: number;
}

/** A cloud's fake as the bench's modes see it. */
export interface BenchFake {
  url: string;
  /** The CA its TLS certificate chains to, when it speaks HTTPS. */
  ca?: string;
  /** Requests answered that only read. */
  reads(): number;
  /** Requests answered that change something (the scale calls). */
  writes(): number;
  close(): Promise<void>;
}

/** The fake as the bench uses it, wherever it runs. */
export interface RunningFake {
  url: string;
  ca?: string;
  stats(): Promise<{ reads: number; writes: number; cpuUs: number | null }>;
  close(): Promise<void>;
}

export type FakeCloud = 'aws' | 'gcp' | 'azure';
