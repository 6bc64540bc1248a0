/**
 * What a Cloud Scheduler tick does for Google Cloud targets, besides the plans every tick re-evaluates:
 * read each target's tracked metrics from Cloud Monitoring, turn the stockouts and quota errors its
 * instances report into `capacity-error` signals, run the policies' Prometheus queries, and (in act mode) take the next step of rolling changes
 * (Vertex AI: shift the traffic, then undeploy the old model). Each signal goes through the shell like any
 * event, so it is idempotent, audited and decided in order.
 */
import { GcpActuator } from '../../adapters/gcp/actuator.ts';
import { capacityErrorSignal } from '../../adapters/ports/capacity-errors.ts';
import type { GcpClients } from '../../adapters/gcp/clients.ts';
import { readGcpMetrics, type TimeSeriesQueries } from '../../adapters/gcp/metrics.ts';
import type { GcpCallPolicy } from '../../adapters/gcp/call.ts';
import type { PrometheusReadOptions } from '../../adapters/prometheus/metric-signals.ts';
import type { Signal } from '../../core/schema/signal.ts';
import type { Target } from '../../core/schema/target.ts';
import { type CloudTickReport, tickTargets } from '../shell/cloud-tick.ts';
import type { Runtime } from '../shell/runtime.ts';

/** What one tick did, per target. */
export type GcpTickReport = CloudTickReport;

export async function runGcpTick(
  runtime: Runtime,
  clients: GcpClients,
  tickId: string,
  policy?: GcpCallPolicy,
  prometheus: Omit<PrometheusReadOptions, 'logger'> = { env: process.env },
): Promise<GcpTickReport> {
  const now = runtime.clock.now();
  const report: GcpTickReport = { targets: 0, signals: 0, failures: [] };
  // One timeSeries.list per metric type and project (and filter, alignment) for the whole tick.
  const queries: TimeSeriesQueries = new Map();
  await tickTargets(
    runtime,
    'gcp',
    tickId,
    report,
    (target) => signalsFor(runtime, clients, target, now, queries, policy),
    prometheus,
  );
  return report;
}

async function signalsFor(
  runtime: Runtime,
  clients: GcpClients,
  target: Target,
  now: number,
  queries: TimeSeriesQueries,
  policy?: GcpCallPolicy,
): Promise<Signal[]> {
  const resource = target.resource?.provider === 'gcp' ? target.resource : undefined;
  if (!resource) return [];
  const signals: Signal[] = await readGcpMetrics(clients, resource.metrics, now, policy, queries);
  if (runtime.mode !== 'shadow') {
    const actuator = new GcpActuator(target, { clients, ...(policy ? { policy } : {}), now: () => now });
    if (runtime.mode === 'act') await actuator.advance();
    const { capacityErrors } = await actuator.observe();
    signals.push(...capacityErrors.map((report) => capacityErrorSignal(report, now, 'gcp')));
  }
  return signals;
}
