/**
 * What the scheduled tick does for AWS targets, besides the plans every tick re-evaluates: read every tracked
 * metric with GetMetricData (one batched call per region and role for all targets), and, outside shadow
 * mode, turn the Auto Scaling groups' failed launches (DescribeScalingActivities) into `capacity-error`
 * signals, so spot replacement moves to another pool. Each signal goes through the shell like any event:
 * idempotent (its event id names the metric's timestamp or the activity), audited, decided in order.
 */
import { AutoScalingGroupsActuator } from '../../adapters/aws/auto-scaling-groups.ts';
import { createAwsCaller } from '../../adapters/aws/calls.ts';
import type { AwsClients } from '../../adapters/aws/clients.ts';
import { scopeOf } from '../../adapters/aws/index.ts';
import { readAwsMetrics } from '../../adapters/aws/metrics.ts';
import type { ActuatorPort } from '../../adapters/ports/actuator.ts';
import { isRetryable } from '../../adapters/state/errors.ts';
import type { Signal } from '../../core/schema/signal.ts';
import type { Target } from '../../core/schema/target.ts';
import type { Runtime } from '../shell/runtime.ts';

/** What one tick did. */
export interface AwsTickReport {
  targets: number;
  signals: number;
  failures: { targetId: string; retryable: boolean; message: string }[];
}

/** Failed launches older than this are not read again, ms (a tick a minute, with room for a late one). */
const CAPACITY_ERROR_LOOKBACK_MS = 5 * 60_000;

export async function runAwsTick(
  runtime: Runtime,
  deps: { clients: AwsClients; env: Record<string, string | undefined>; actuatorOf: (target: Target) => ActuatorPort },
): Promise<AwsTickReport> {
  const now = runtime.clock.now();
  const report: AwsTickReport = { targets: 0, signals: 0, failures: [] };
  const targets: Target[] = [];
  for (const id of await runtime.store.listTargets()) {
    const target = (await runtime.store.getTarget(id))?.value;
    if (target?.provider === 'aws' && target.resource?.provider === 'aws') targets.push(target);
  }
  report.targets = targets.length;
  const signals: { targetId: string; signal: Signal }[] = [];
  const scoped = targets.flatMap((target) => {
    try {
      return [{ target, scope: scopeOf(target, deps.env) }];
    } catch (error) {
      report.failures.push({ targetId: target.id, retryable: false, message: (error as Error).message });
      return [];
    }
  });
  const caller = createAwsCaller('act', runtime.logger);
  signals.push(...(await readAwsMetrics(scoped, now, { clients: deps.clients, caller })));
  if (runtime.mode !== 'shadow') {
    for (const { target } of scoped) {
      const actuator = deps.actuatorOf(target);
      if (!(actuator instanceof AutoScalingGroupsActuator)) continue;
      try {
        for (const signal of await actuator.capacityErrors(now - CAPACITY_ERROR_LOOKBACK_MS)) {
          signals.push({ targetId: target.id, signal });
        }
      } catch (error) {
        report.failures.push({ targetId: target.id, retryable: isRetryable(error), message: (error as Error).message });
      }
    }
  }
  for (const { targetId, signal } of signals) {
    try {
      await runtime.shell.handle({ targetId, signal });
      report.signals++;
    } catch (error) {
      const message = (error as Error).message;
      runtime.logger.warn('aws tick: signal failed', { targetId, kind: signal.kind, error: message });
      report.failures.push({ targetId, retryable: isRetryable(error), message });
    }
  }
  return report;
}
