/** One cloud's end-to-end bench mode: `start` builds the function over local endpoints; `invoke(i)` delivers event i. */
export interface E2eCloud {
  name: string;
  start(): Promise<{
    invoke(i: number): Promise<void>;
    /** Requests the local endpoint answered (every provider call). */
    providerCalls(): number;
    /** Changes made (scale calls). */
    actions(): number;
    stop(): Promise<void>;
  }>;
}
