/**
 * The console's simulation: a bundled workload or an uploaded trace CSV replayed through Tide and the
 * baselines (simulator/comparison.ts, what `tide simulate` runs), answered with each autoscaler's cost,
 * GPU-hours, latency percentiles, SLO share and ready capacity per minute. A malformed upload is refused
 * before anything runs, with the line and the reason. The replay is CPU-bound (seconds for a bundled hour),
 * so it runs in a worker thread (./simulation-runner.ts, ./simulation-worker.ts), bounded in number, input
 * and time, and reports its progress to the page as it goes.
 */
import type { ComparisonReport } from '../../simulator/comparison.ts';
import { parseTrace, TraceFormatError, type Trace } from '../../simulator/trace.ts';
import { findWorkload, WORKLOADS } from '../../simulator/workloads.ts';

export const WORKLOAD_CHOICES = WORKLOADS.map((workload) => ({
  name: workload.name,
  description: workload.description,
}));

export type SimulationRequest = { workload: string } | { trace: string; name?: string };

export class SimulationInputError extends Error {
  override readonly name = 'SimulationInputError';
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** The trace (and plans) a request names; a typed error for an unknown workload or a malformed upload. */
export async function traceOf(request: SimulationRequest): Promise<{ trace: Trace; plans?: unknown[] }> {
  if ('trace' in request) {
    try {
      return { trace: { ...parseTrace(request.trace, request.name ?? 'upload'), name: request.name ?? 'upload' } };
    } catch (error) {
      if (error instanceof TraceFormatError)
        throw new SimulationInputError(`line ${error.line}: ${error.problem}`, error.line);
      throw error;
    }
  }
  const workload = findWorkload(request.workload);
  if (!workload)
    throw new SimulationInputError(
      `unknown workload "${request.workload.slice(0, 80)}"; known: ${WORKLOADS.map((w) => w.name).join(', ')}`,
    );
  return { trace: await workload.load(1), ...(workload.plans ? { plans: workload.plans } : {}) };
}

/** What the page shows of a report. */
export function summary(report: ComparisonReport) {
  return {
    workload: {
      name: report.workload.name,
      requests: report.workload.requests,
      durationSeconds: report.workload.durationSeconds,
      neededPerMinute: report.workload.neededPerMinute,
    },
    sloMs: report.settings.sloMs,
    runs: report.runs.map((run) => ({
      name: run.name,
      costUsd: run.costUsd,
      gpuHours: run.gpuHours,
      p50Ms: run.p50Ms,
      p95Ms: run.p95Ms,
      p99Ms: run.p99Ms,
      sloViolationShare: run.sloViolationShare,
      readyPerMinute: run.perMinute.ready,
    })),
  };
}

/** What the page is sent of a report. */
export type SimulationSummary = ReturnType<typeof summary>;
