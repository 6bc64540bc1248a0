/**
 * The console's simulation, in a worker thread (./simulation-runner.ts starts it): the trace is parsed and
 * replayed here, so the server's event loop answers other requests meanwhile. It reports, in order:
 * `ready` (the trace parsed: its size) or `input-error` (the line and the reason); `progress` as the
 * simulator steps (at most one every {@link PROGRESS_EVERY_MS} ms, and each run's start and end); then
 * `result` or `error`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';
import { runComparison } from '../../simulator/comparison.ts';
import { type SimulationRequest, SimulationInputError, summary, traceOf } from './simulate.ts';
import type { WorkerMessage } from './simulation-messages.ts';

/** Progress messages are at most this often, ms (the page redraws a bar, not a film). */
const PROGRESS_EVERY_MS = 100;

interface WorkerInput {
  request: SimulationRequest;
  /** The longest trace this runner replays, seconds from first to last arrival. */
  maxSpanSeconds: number;
  /** Tests only: the worker waits on this flag (0: wait, 1: go) after its first progress report. */
  hold?: SharedArrayBuffer;
}

const post = (message: WorkerMessage) => parentPort!.postMessage(message);

async function run(input: WorkerInput): Promise<void> {
  // A policy or workload may follow an exchange's session: its rules are handed to the core first.
  await loadExchangeCalendars();
  let loaded: Awaited<ReturnType<typeof traceOf>>;
  try {
    loaded = await traceOf(input.request);
  } catch (error) {
    if (error instanceof SimulationInputError)
      return post({ type: 'input-error', message: error.message, ...(error.line ? { line: error.line } : {}) });
    throw error;
  }
  const { trace } = loaded;
  const span = (trace.endAt - trace.startAt) / 1000;
  if (span > input.maxSpanSeconds)
    return post({
      type: 'input-error',
      message: `the trace spans ${(span / 3600).toFixed(1)} h; the console replays at most ${input.maxSpanSeconds / 3600} h (tide simulate --trace has no such limit)`,
    });
  post({ type: 'ready', requests: trace.requests.length, spanSeconds: span });
  let lastAt = Number.NEGATIVE_INFINITY;
  let lastRun = -1;
  let held = false;
  const report = await runComparison({
    trace,
    seed: 1,
    oracle: false,
    ...(loaded.plans ? { plans: loaded.plans } : {}),
    onProgress: (runName, index, count, doneSeconds, totalSeconds) => {
      const now = performance.now();
      const edge = index !== lastRun || doneSeconds >= totalSeconds;
      if (!edge && now - lastAt < PROGRESS_EVERY_MS) return;
      lastAt = now;
      lastRun = index;
      const fraction = (index + (totalSeconds > 0 ? doneSeconds / totalSeconds : 1)) / count;
      post({ type: 'progress', run: runName, index, count, fraction: Math.min(1, fraction) });
      if (input.hold && !held) {
        held = true;
        Atomics.wait(new Int32Array(input.hold), 0, 0);
      }
    },
  });
  post({ type: 'result', result: summary(report) });
}

run(workerData as WorkerInput).catch((error: unknown) =>
  post({ type: 'error', message: (error as Error).message?.slice(0, 500) ?? String(error) }),
);
