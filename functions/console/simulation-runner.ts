/**
 * Runs the console's simulations off the event loop: each in its own worker thread
 * (./simulation-worker.ts), at most `maxRunning` at once (one by default: a replay takes a core, and the
 * machine serves events with the other), each with a deadline and a heap limit; a trace longer than
 * `maxSpanSeconds` is refused. The runner hands the worker's progress to the caller as it comes, and a
 * cancelled job (the page went away) stops its worker at once.
 */
import { Worker } from 'node:worker_threads';
import { SimulationInputError, type SimulationRequest, type SimulationSummary } from './simulate.ts';
import type { WorkerMessage } from './simulation-messages.ts';

export interface SimulationLimits {
  /** Simulations at once; another is refused while they run. */
  maxRunning: number;
  /** Wall time one simulation may take, ms; past it the worker is stopped. */
  timeoutMs: number;
  /** The longest trace replayed, seconds from the first arrival to the last (the replay steps every minute). */
  maxSpanSeconds: number;
  /** The worker's heap, MB: a huge upload ends its own worker, not the server. */
  maxHeapMb: number;
}

/** A bundled hour takes seconds; two days of an uploaded trace (the most here) about a minute on a quiet core. */
export const DEFAULT_SIMULATION_LIMITS: SimulationLimits = {
  maxRunning: 1,
  timeoutMs: 5 * 60_000,
  maxSpanSeconds: 48 * 3600,
  maxHeapMb: 1536,
};

/** All the runner's places are taken: try again when one is done. */
export class SimulationBusyError extends Error {
  override readonly name = 'SimulationBusyError';
  readonly retryable = true;
}

/** The simulation did not finish in time, failed, or was cancelled; the message says which. */
export class SimulationFailedError extends Error {
  override readonly name = 'SimulationFailedError';
}

export interface SimulationProgress {
  run: string;
  index: number;
  count: number;
  /** Share of the whole comparison done, 0 to 1. */
  fraction: number;
}

export interface SimulationJob {
  /** The trace parsed (its size); rejects with a {@link SimulationInputError} for a malformed one. */
  ready: Promise<{ requests: number; spanSeconds: number }>;
  /** The summary; rejects with a {@link SimulationFailedError} (or the input error). */
  done: Promise<SimulationSummary>;
  /** Stop the worker now (the page went away); `done` rejects. */
  cancel(): void;
}

/** Where the worker's code is: the bundled file beside the CLI's chunks, or the source through tsx's loader. */
function workerEntry(): { file: URL; entry?: string } {
  const here = import.meta.url;
  if (here.endsWith('.ts'))
    return {
      file: new URL('./simulation-worker-boot.mjs', here),
      entry: new URL('./simulation-worker.ts', here).href,
    };
  return { file: new URL('./tide-simulation-worker.mjs', here) };
}

export class SimulationRunner {
  private readonly limits: SimulationLimits;
  private readonly workers = new Set<Worker>();

  /**
   * `hold` is for tests: each worker waits on it (0: wait, 1: go) after its first progress report, so a
   * test can look at the server while a simulation is certainly in the middle of its run.
   */
  constructor(
    limits: Partial<SimulationLimits> = {},
    private readonly testing: { hold?: SharedArrayBuffer } = {},
  ) {
    this.limits = { ...DEFAULT_SIMULATION_LIMITS, ...limits };
  }

  /** Simulations running now. */
  get running(): number {
    return this.workers.size;
  }

  /** Start one simulation; throws {@link SimulationBusyError} when `maxRunning` run already. */
  start(
    request: SimulationRequest,
    options: { onProgress?: (progress: SimulationProgress) => void } = {},
  ): SimulationJob {
    if (this.workers.size >= this.limits.maxRunning)
      throw new SimulationBusyError(
        `${this.workers.size === 1 ? 'a simulation is' : `${this.workers.size} simulations are`} already running here; try again when it is done`,
      );
    const { file, entry } = workerEntry();
    const worker = new Worker(file, {
      workerData: {
        request,
        maxSpanSeconds: this.limits.maxSpanSeconds,
        ...(entry ? { entry } : {}),
        ...(this.testing.hold ? { hold: this.testing.hold } : {}),
      },
      resourceLimits: { maxOldGenerationSizeMb: this.limits.maxHeapMb },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    this.workers.add(worker);
    let settleReady!: { resolve: (v: { requests: number; spanSeconds: number }) => void; reject: (e: Error) => void };
    let settleDone!: { resolve: (v: SimulationSummary) => void; reject: (e: Error) => void };
    const ready = new Promise<{ requests: number; spanSeconds: number }>((resolve, reject) => {
      settleReady = { resolve, reject };
    });
    const done = new Promise<SimulationSummary>((resolve, reject) => {
      settleDone = { resolve, reject };
    });
    // Either may go unawaited (a caller that stops at an input error); their rejections are handled here.
    ready.catch(() => undefined);
    done.catch(() => undefined);
    let finished = false;
    const finish = (outcome: { result: SimulationSummary } | { error: Error }) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.workers.delete(worker);
      void worker.terminate();
      if ('result' in outcome) settleDone.resolve(outcome.result);
      else {
        settleReady.reject(outcome.error);
        settleDone.reject(outcome.error);
      }
    };
    const timer = setTimeout(
      () =>
        finish({
          error: new SimulationFailedError(`the simulation did not finish within ${this.limits.timeoutMs / 1000} s`),
        }),
      this.limits.timeoutMs,
    );
    timer.unref();
    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'ready':
          settleReady.resolve({ requests: message.requests, spanSeconds: message.spanSeconds });
          return;
        case 'input-error':
          return finish({ error: new SimulationInputError(message.message, message.line) });
        case 'progress':
          options.onProgress?.({
            run: message.run,
            index: message.index,
            count: message.count,
            fraction: message.fraction,
          });
          return;
        case 'result':
          return finish({ result: message.result });
        case 'error':
          return finish({ error: new SimulationFailedError(`the simulation failed: ${message.message}`) });
      }
    });
    worker.on('error', (error) =>
      finish({ error: new SimulationFailedError(`the simulation failed: ${error.message.slice(0, 300)}`) }),
    );
    worker.on('exit', (code) =>
      finish({ error: new SimulationFailedError(`the simulation's worker stopped (exit code ${code})`) }),
    );
    return {
      ready,
      done,
      cancel: () => finish({ error: new SimulationFailedError('the simulation was cancelled') }),
    };
  }

  /** Stop every simulation (the server is closing). */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((worker) => worker.terminate()));
    this.workers.clear();
  }
}
