/**
 * What the timer trigger does for Azure targets, besides the plans every tick re-evaluates: read each
 * target's tracked metrics from Azure Monitor (and the policy's from Prometheus), poll the operations Tide started on earlier ticks once each and
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
import type { PrometheusReadOptions } from '../../adapters/prometheus/metric-signals.ts';
import type { Signal } from '../../core/schema/signal.ts';
import type { Target } from '../../core/schema/target.ts';
import { type CloudTickReport, type TickRuntime, tickTargets } from '../shell/cloud-tick.ts';
import type { Runtime } from '../shell/runtime.ts';

/** What one tick did, per target, and the notes of the operations it polled. */
export interface AzureTickReport extends CloudTickReport {
  notes: string[];
}

export interface AzureTickOptions {
  policy?: AzureCallPolicy;
  operations?: OperationStore;
  /**
   * The policies' Prometheus queries: where their credentials are read (default the process's environment);
   * `false` when the caller reads them itself (`tide serve`'s ticker, functions/serve/prometheus-source.ts).
   */
  prometheus?: Omit<PrometheusReadOptions, 'logger'> | false;
}

/** What the tick uses of a runtime: a Function App's, or `tide serve --cloud azure`'s (always `act`). */
export type AzureTickRuntime = TickRuntime & Pick<Runtime, 'mode'>;

export async function runAzureTick(
  runtime: AzureTickRuntime,
  clients: AzureClients,
  tickId: string,
  options: AzureTickOptions = {},
): Promise<AzureTickReport> {
  const now = runtime.clock.now();
  const report: AzureTickReport = { targets: 0, signals: 0, notes: [], failures: [] };
  await tickTargets(
    runtime,
    'azure',
    tickId,
    report,
    (target) => signalsFor(runtime, clients, target, now, options, report.notes),
    options.prometheus ?? { env: process.env },
  );
  return report;
}

async function signalsFor(
  runtime: AzureTickRuntime,
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
    // The state store's records: operations and moves started by any instance, cold or warm.
    const operations = options.operations ?? runtime.store.records;
    const actuator = new AzureActuator(target, {
      clients,
      now: () => now,
      ...(options.policy ? { policy: options.policy } : {}),
      ...(operations ? { operations } : {}),
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
