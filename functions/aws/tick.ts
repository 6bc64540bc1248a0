/**
 * What the scheduled tick does for AWS targets, besides the plans every tick re-evaluates: read every tracked
 * metric with GetMetricData (one batched call per region and role for all targets), and, outside shadow
 * mode, turn the Auto Scaling groups' failed launches (DescribeScalingActivities) into `capacity-error`
 * signals, so spot replacement moves to another pool; run the policies' Prometheus queries (targetTracking[].prometheus); and re-read with DescribeAlarms the step alarms whose
 * stored state is stale (none stored, or older than {@link ALARM_STATE_STALE_MS}), so an alarm that stays in
 * ALARM keeps stepping on what CloudWatch says now (and a lost OK stops it). Each signal goes through the shell like any event:
 * idempotent (its event id names the metric's timestamp or the activity), audited, decided in order.
 */
import { readAlarmStates } from '../../adapters/aws/alarms.ts';
import { resolveActuator } from '../../adapters/aws/lazy.ts';
import { restoreLeftTargets, scalableResourceIdOf } from '../../adapters/aws/app-autoscaling.ts';
import { AutoScalingGroupsActuator } from '../../adapters/aws/auto-scaling-groups.ts';
import { createAwsCaller } from '../../adapters/aws/calls.ts';
import type { AwsClients, AwsScope } from '../../adapters/aws/clients.ts';
import { scopeKey } from '../../adapters/aws/scope.ts';
import { scopeOf } from '../../adapters/aws/index.ts';
import { readAwsMetrics } from '../../adapters/aws/metrics.ts';
import type { ActuatorPort } from '../../adapters/ports/actuator.ts';
import { prometheusSignals, readsPrometheus, runBounded } from '../../adapters/prometheus/metric-signals.ts';
import { isRetryable } from '../../adapters/state/errors.ts';
import type { Memory } from '../../core/schema/memory.ts';
import type { Policy } from '../../core/schema/policy.ts';
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
/** A stored step alarm state older than this is read again with DescribeAlarms, ms (an OK or ALARM event may have been lost). */
export const ALARM_STATE_STALE_MS = 5 * 60_000;

/** Step alarms whose stored state is missing or stale, by region and role: alarm name → the targets that step on it. */
function staleStepAlarms(
  loaded: { target: Target; scope: AwsScope; policy: Policy | undefined; memory: Memory | null }[],
  now: number,
): Map<string, { scope: AwsScope; alarms: Map<string, string[]> }> {
  const byScope = new Map<string, { scope: AwsScope; alarms: Map<string, string[]> }>();
  for (const { target, scope, policy, memory } of loaded) {
    for (const step of policy?.stepScaling ?? []) {
      const stored = memory && Object.hasOwn(memory.alarms, step.alarmName) ? memory.alarms[step.alarmName] : undefined;
      if (stored && now - stored.at <= ALARM_STATE_STALE_MS) continue;
      const key = scopeKey(scope);
      const entry = byScope.get(key) ?? { scope, alarms: new Map<string, string[]>() };
      byScope.set(key, entry);
      const targets = entry.alarms.get(step.alarmName) ?? [];
      if (!targets.includes(target.id)) targets.push(target.id);
      entry.alarms.set(step.alarmName, targets);
    }
  }
  return byScope;
}

export async function runAwsTick(
  runtime: Runtime,
  deps: {
    clients: AwsClients;
    env: Record<string, string | undefined>;
    actuatorOf: (target: Target) => ActuatorPort;
    /** The Prometheus queries' fetch (tests); default the global one. */
    prometheusFetch?: typeof fetch;
  },
): Promise<AwsTickReport> {
  const now = runtime.clock.now();
  const report: AwsTickReport = { targets: 0, signals: 0, failures: [] };
  const loaded: { target: Target; policy: Policy | undefined; memory: Memory | null }[] = [];
  for (const id of await runtime.store.listTargets()) {
    // Target, policy and memory in one round trip (the event id names no event: nothing is read for it).
    const snapshot = await runtime.store.load(id, 'aws-tick');
    const target = snapshot.target?.value;
    if (target?.provider === 'aws' && target.resource?.provider === 'aws')
      loaded.push({ target, policy: snapshot.policy?.value, memory: snapshot.state.memory });
  }
  report.targets = loaded.length;
  const signals: { targetId: string; signal: Signal }[] = [];
  const scoped = loaded.flatMap((entry) => {
    try {
      return [{ ...entry, scope: scopeOf(entry.target, deps.env) }];
    } catch (error) {
      report.failures.push({ targetId: entry.target.id, retryable: false, message: (error as Error).message });
      return [];
    }
  });
  const caller = createAwsCaller('act', runtime.logger);
  // The policies' Prometheus queries run beside GetMetricData (never throws: a failure is a missing sample).
  const queried = readPrometheus(runtime, loaded, now, deps);
  signals.push(...(await readAwsMetrics(scoped, now, { clients: deps.clients, caller })));
  signals.push(...(await queried));
  for (const { scope, alarms } of staleStepAlarms(scoped, now).values()) {
    try {
      const read = await readAlarmStates([...alarms.keys()], scope, { clients: deps.clients, caller }, now);
      for (const signal of read)
        for (const targetId of alarms.get(signal.alarmName) ?? []) signals.push({ targetId, signal });
    } catch (error) {
      // The stored states stand until the next tick reads again: logged, not a reason to redeliver the tick.
      runtime.logger.warn('aws tick: DescribeAlarms failed; the stored alarm states stand', {
        region: scope.region,
        alarms: alarms.size,
        error: (error as Error).message,
      });
    }
  }
  if (runtime.mode !== 'shadow') {
    for (const { target, policy } of scoped) {
      // The handler's ports load the adapters lazily (adapters/aws/lazy.ts): what only groups have needs the actuator itself.
      let actuator: ActuatorPort;
      try {
        actuator = await resolveActuator(deps.actuatorOf(target));
      } catch (error) {
        report.failures.push({ targetId: target.id, retryable: isRetryable(error), message: (error as Error).message });
        continue;
      }
      if (!(actuator instanceof AutoScalingGroupsActuator)) continue;
      // The policy sizes the groups' warm pools (PutWarmPool where they differ). The actuator here acts
      // (the runtime's dry-run wrapper is not in this path), so only in act mode.
      if (runtime.mode === 'act' && policy && Object.keys(policy.warmPools).length > 0) {
        try {
          const warm = await actuator.applyWarmPools(policy.warmPools);
          if (warm.changed.length > 0 || warm.unknown.length > 0)
            runtime.logger.info('aws tick: warm pools', { targetId: target.id, ...warm });
        } catch (error) {
          report.failures.push({
            targetId: target.id,
            retryable: isRetryable(error),
            message: (error as Error).message,
          });
        }
      }
      try {
        for (const signal of await actuator.capacityErrors(now - CAPACITY_ERROR_LOOKBACK_MS)) {
          signals.push({ targetId: target.id, signal });
        }
      } catch (error) {
        report.failures.push({ targetId: target.id, retryable: isRetryable(error), message: (error as Error).message });
      }
    }
  }
  if (runtime.mode === 'act') await giveBackLeftTargets(runtime, deps, scoped);
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

/** Targets whose Prometheus metrics are read at once (each a handful of queries, themselves bounded). */
const PROMETHEUS_TARGET_CONCURRENCY = 8;

/** The signals of the policies' Prometheus metrics, named by the tick's minute (a redelivered tick repeats them). */
async function readPrometheus(
  runtime: Runtime,
  loaded: { target: Target; policy: Policy | undefined }[],
  now: number,
  deps: { env: Record<string, string | undefined>; prometheusFetch?: typeof fetch },
): Promise<{ targetId: string; signal: Signal }[]> {
  const minute = Math.floor(now / 60_000);
  const jobs = loaded
    .filter(({ policy }) => readsPrometheus(policy))
    .map(({ target, policy }) => async () => {
      const signals = await prometheusSignals(
        target.id,
        policy,
        now,
        (metric) => `aws-tick:prometheus:${target.id}:${metric}:${minute}`,
        { env: deps.env, logger: runtime.logger, ...(deps.prometheusFetch ? { fetch: deps.prometheusFetch } : {}) },
      );
      return signals.map((signal) => ({ targetId: target.id, signal }));
    });
  return (await runBounded(jobs, PROMETHEUS_TARGET_CONCURRENCY)).flat();
}

/** Sweep at most this often per warm instance, ms: a target's removal is given back within a few minutes. */
const SWEEP_EVERY_MS = 5 * 60_000;
const lastSweepAt = new WeakMap<Runtime, number>();

/**
 * Restore the Application Auto Scaling targets Tide suspended for targets that have since been removed
 * (adapters/aws/app-autoscaling.ts: only those carrying Tide's record of what it found). Swept in the regions
 * and roles of today's AWS targets plus the function's own region, every few minutes; logged, never fatal.
 */
async function giveBackLeftTargets(
  runtime: Runtime,
  deps: { clients: AwsClients; env: Record<string, string | undefined> },
  scoped: { target: Target; scope: AwsScope }[],
): Promise<void> {
  const now = runtime.clock.now();
  const last = lastSweepAt.get(runtime);
  if (last !== undefined && now >= last && now - last < SWEEP_EVERY_MS) return;
  lastSweepAt.set(runtime, now);
  const managed = new Set<string>();
  const scopes = new Map<string, AwsScope>();
  for (const { target, scope } of scoped) {
    const id = target.resource?.provider === 'aws' ? scalableResourceIdOf(target.resource) : undefined;
    if (id) managed.add(id);
    scopes.set(scopeKey(scope), scope);
  }
  const ownRegion = deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION;
  if (ownRegion) scopes.set(scopeKey({ region: ownRegion }), { region: ownRegion });
  const caller = createAwsCaller('act', runtime.logger);
  for (const scope of scopes.values()) {
    try {
      const restored = await restoreLeftTargets(managed, { clients: deps.clients, scope, caller, now: () => now });
      if (restored.length > 0)
        runtime.logger.info('aws tick: Application Auto Scaling given back', { region: scope.region, restored });
    } catch (error) {
      runtime.logger.warn('aws tick: the Application Auto Scaling sweep failed', {
        region: scope.region,
        error: (error as Error).message,
      });
    }
  }
}
