/** What the simulation worker (./simulation-worker.ts) tells the runner (./simulation-runner.ts). */
import type { SimulationSummary } from './simulate.ts';

export type WorkerMessage =
  | { type: 'ready'; requests: number; spanSeconds: number }
  | { type: 'input-error'; message: string; line?: number }
  | {
      type: 'progress';
      /** The autoscaler being replayed, its place among `count`, and the share of the whole comparison done. */
      run: string;
      index: number;
      count: number;
      fraction: number;
    }
  | { type: 'result'; result: SimulationSummary }
  | { type: 'error'; message: string };
