/**
 * What a Cloud Scheduler tick does for Google Cloud targets, besides the plans every tick re-evaluates:
 * read each target's tracked metrics from Cloud Monitoring, turn the stockouts and quota errors its
 * instances report into `capacity-error` signals, and (in act mode) take the next step of rolling changes
 * (Vertex AI: shift the traffic, then undeploy the old model). Each signal goes through the shell like any
 * event, so it is idempotent, audited and decided in order.
 */
import { GcpActuator } from '../../adapters/gcp/actuator.ts';
import { capacityErrorSignal } from '../../adapters/ports/capacity-errors.ts';
import type { GcpClients } from '../../adapters/gcp/clients.ts';
import { readGcpMetrics } from '../../adapters/gcp/metrics.ts';
import type { GcpCallPolicy } from '../../adapters/gcp/call.ts';
import { isRetryable } from '../../adapters/state/errors.ts';
import type { Signal } from '../../core/schema/signal.ts';
import type { Target } from '../../core/schema/target.ts';
import type { Runtime } from '../shell/runtime.ts';

/** What one tick did, per target. */
export interface GcpTickReport {
  targets: number;
  signals: number;
  failures: { targetId: string; retryable: boolean; message: string }[];
}

/** Targets handled at once: each reads its cloud and writes its state (a handful of round trips). */
const TARGET_CONCURRENCY = 8;

export async function runGcpTick(
  runtime: Runtime,
  clients: GcpClients,
  tickId: string,
  policy?: GcpCallPolicy,
): Promise<GcpTickReport> {
  const now = runtime.clock.now();
  const report: GcpTickReport = { targets: 0, signals: 0, failures: [] };
  const ids = await runtime.store.listTargets();
  for (let i = 0; i < ids.length; i += TARGET_CONCURRENCY) {
    await Promise.all(
      ids.slice(i, i + TARGET_CONCURRENCY).map(async (id) => {
        const target = (await runtime.store.getTarget(id))?.value;
        if (target?.provider !== 'gcp' || target.resource?.provider !== 'gcp') return;
        report.targets++;
        try {
          for (const signal of await signalsFor(runtime, clients, target, now, policy)) {
            report.signals++;
            await runtime.shell.handle({
              targetId: id,
              signal: { ...signal, eventId: `${tickId}:${signalKey(signal)}` },
            });
          }
        } catch (error) {
          const message = (error as Error).message;
          runtime.logger.warn('gcp tick: target failed', {
            targetId: id,
            error: message,
            retryable: isRetryable(error),
          });
          report.failures.push({ targetId: id, retryable: isRetryable(error), message });
        }
      }),
    );
  }
  return report;
}

async function signalsFor(
  runtime: Runtime,
  clients: GcpClients,
  target: Target,
  now: number,
  policy?: GcpCallPolicy,
): Promise<Signal[]> {
  const resource = target.resource?.provider === 'gcp' ? target.resource : undefined;
  if (!resource) return [];
  const signals: Signal[] = await readGcpMetrics(clients, resource.metrics, now, policy);
  if (runtime.mode !== 'shadow') {
    const actuator = new GcpActuator(target, { clients, ...(policy ? { policy } : {}), now: () => now });
    if (runtime.mode === 'act') await actuator.advance();
    const { capacityErrors } = await actuator.observe();
    signals.push(...capacityErrors.map((report) => capacityErrorSignal(report, now, 'gcp')));
  }
  return signals;
}

function signalKey(signal: Signal): string {
  switch (signal.kind) {
    case 'metric':
    case 'metric-failure':
      return `${signal.kind}:${signal.metric}`;
    case 'capacity-error':
      return `capacity-error:${signal.poolId}:${signal.code}`;
    default:
      return signal.kind;
  }
}
