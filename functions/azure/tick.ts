/**
 * What the timer trigger does for Azure targets, besides the plans every tick re-evaluates: read each
 * target's tracked metrics from Azure Monitor, poll the operations Tide started on earlier ticks once each and
 * take the next step of Azure ML moves (act mode), and turn allocation and quota failures (of operations and
 * of instances) into `capacity-error` signals. Each signal goes through the shell like any event, so it is
 * idempotent, audited and decided in order.
 */
import { AzureActuator } from '../../adapters/azure/actuator.ts';
import type { AzureCallPolicy } from '../../adapters/azure/call.ts';
import { capacityErrorSignal } from '../../adapters/ports/capacity-errors.ts';
import type { AzureClients } from '../../adapters/azure/clients.ts';
import { readAzureMetrics } from '../../adapters/azure/metrics.ts';
import type { OperationStore } from '../../adapters/azure/operations.ts';
import { isRetryable } from '../../adapters/state/errors.ts';
import type { Signal } from '../../core/schema/signal.ts';
import type { Target } from '../../core/schema/target.ts';
import type { Runtime } from '../shell/runtime.ts';

export interface AzureTickReport {
  targets: number;
  signals: number;
  notes: string[];
  failures: { targetId: string; retryable: boolean; message: string }[];
}

const TARGET_CONCURRENCY = 8;

export interface AzureTickOptions {
  policy?: AzureCallPolicy;
  operations?: OperationStore;
}

export async function runAzureTick(
  runtime: Runtime,
  clients: AzureClients,
  tickId: string,
  options: AzureTickOptions = {},
): Promise<AzureTickReport> {
  const now = runtime.clock.now();
  const report: AzureTickReport = { targets: 0, signals: 0, notes: [], failures: [] };
  const ids = await runtime.store.listTargets();
  for (let i = 0; i < ids.length; i += TARGET_CONCURRENCY) {
    await Promise.all(
      ids.slice(i, i + TARGET_CONCURRENCY).map(async (id) => {
        const target = (await runtime.store.getTarget(id))?.value;
        if (target?.provider !== 'azure' || target.resource?.provider !== 'azure') return;
        report.targets++;
        try {
          for (const signal of await signalsFor(runtime, clients, target, now, options, report.notes)) {
            report.signals++;
            await runtime.shell.handle({
              targetId: id,
              signal: { ...signal, eventId: `${tickId}:${signalKey(signal)}` },
            });
          }
        } catch (error) {
          const message = (error as Error).message;
          runtime.logger.warn('azure tick: target failed', {
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
  clients: AzureClients,
  target: Target,
  now: number,
  options: AzureTickOptions,
  notes: string[],
): Promise<Signal[]> {
  const resource = target.resource?.provider === 'azure' ? target.resource : undefined;
  if (!resource) return [];
  const signals: Signal[] = await readAzureMetrics(
    clients,
    resource.subscriptionId,
    resource.metrics,
    now,
    options.policy,
  );
  if (runtime.mode !== 'shadow') {
    const actuator = new AzureActuator(target, {
      clients,
      now: () => now,
      ...(options.policy ? { policy: options.policy } : {}),
      ...(options.operations ? { operations: options.operations } : {}),
    });
    if (runtime.mode === 'act') {
      const advanced = await actuator.advance();
      notes.push(...advanced.notes.map((note) => `${target.id}: ${note}`));
      signals.push(...advanced.capacityErrors.map((report) => capacityErrorSignal(report, now, 'azure')));
    }
    const { capacityErrors } = await actuator.observe();
    signals.push(...capacityErrors.map((report) => capacityErrorSignal(report, now, 'azure')));
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
