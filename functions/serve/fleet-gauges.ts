/**
 * The fleet's gauges for `/metrics`, refreshed by `tide serve` on a timer rather than only when someone
 * asks for a target's status: capacity desired and ready (in all and per pool), spend now and its cap,
 * the tracked metrics' latest samples and their targets, and one info series per target whose labels
 * (kind, provider) dashboards join on. A target that is gone drops its series at the next refresh.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../adapters/ports/logger.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';
import type { ObservedCapacity, Target } from '../../core/schema/target.ts';
import { usdPerHourOf } from '../http/cost.ts';
import type { ApiMetrics } from '../http/metrics.ts';

/** Every metric name this module exports (the Grafana dashboard test reads it). */
export const FLEET_GAUGE_NAMES = [
  'tide_target_info',
  'tide_pool_desired_capacity',
  'tide_pool_ready_capacity',
  'tide_spend_cap_usd_per_hour',
  'tide_metric_value',
  'tide_metric_target_value',
] as const;

/** The snapshot's event id for reads: no event is ever stored under it. */
const READ_ONLY_EVENT = 'tide-serve:fleet-gauges';

export interface FleetGauges {
  refresh(): Promise<void>;
  start(everyRealMs: number): void;
  stop(): Promise<void>;
}

export function createFleetGauges(deps: {
  store: Pick<StateStore, 'listTargets' | 'load'>;
  observe: (target: Target) => Promise<ObservedCapacity>;
  metrics: ApiMetrics;
  /** The registry the metrics are in (`await metrics.registry()`), which these gauges join. */
  registry: Registry;
  logger: Logger;
}): FleetGauges {
  const registers = [deps.registry];
  const info = new Gauge({
    name: 'tide_target_info',
    help: "A target's kind and provider as labels (value 1), to join on by target",
    labelNames: ['target', 'kind', 'provider'],
    registers,
  });
  const poolDesired = new Gauge({
    name: 'tide_pool_desired_capacity',
    help: 'Desired capacity of one pool, replicas or nodes',
    labelNames: ['target', 'pool', 'capacity_type'],
    registers,
  });
  const poolReady = new Gauge({
    name: 'tide_pool_ready_capacity',
    help: 'Ready capacity of one pool, replicas or nodes',
    labelNames: ['target', 'pool', 'capacity_type'],
    registers,
  });
  const cap = new Gauge({
    name: 'tide_spend_cap_usd_per_hour',
    help: "The target's spend cap, dollars per hour (absent: no cap)",
    labelNames: ['target'],
    registers,
  });
  const metricValue = new Gauge({
    name: 'tide_metric_value',
    help: "The latest sample of a target-tracking metric, in the metric's unit (the demand Tide sees)",
    labelNames: ['target', 'metric'],
    registers,
  });
  const metricTarget = new Gauge({
    name: 'tide_metric_target_value',
    help: "The target value of a target-tracking metric, in the metric's unit",
    labelNames: ['target', 'metric'],
    registers,
  });
  const gauges = [info, poolDesired, poolReady, cap, metricValue, metricTarget];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;

  const refresh = async () => {
    const ids = await deps.store.listTargets();
    const snapshots = await Promise.all(ids.map((id) => deps.store.load(id, READ_ONLY_EVENT).catch(() => null)));
    const observed = await Promise.all(
      snapshots.map((snapshot) =>
        snapshot?.target ? deps.observe(snapshot.target.value).catch(() => null) : Promise.resolve(null),
      ),
    );
    for (const gauge of gauges) gauge.reset();
    snapshots.forEach((snapshot, i) => {
      const target = snapshot?.target?.value;
      if (!target) return;
      info.set({ target: target.id, kind: target.kind, provider: target.provider }, 1);
      const seen = observed[i];
      if (seen) {
        deps.metrics.observed(target.id, seen, usdPerHourOf(seen));
        for (const pool of seen.pools) {
          const labels = { target: target.id, pool: pool.poolId, capacity_type: pool.capacityType };
          poolDesired.set(labels, pool.desired);
          poolReady.set(labels, pool.ready);
        }
      }
      const policy = snapshot.policy?.value;
      const hourly = policy?.spendCaps?.targetUsdPerHour;
      if (typeof hourly === 'number') cap.set({ target: target.id }, hourly);
      for (const rule of policy?.targetTracking ?? []) {
        metricTarget.set({ target: target.id, metric: rule.metric }, rule.targetValue);
        const samples = snapshot.state.memory?.samples?.[rule.metric];
        const last = samples?.[samples.length - 1];
        if (last) metricValue.set({ target: target.id, metric: rule.metric }, last[1]);
      }
    });
  };

  const tick = () => {
    running ??= refresh()
      .catch((error) => deps.logger.warn('serve: fleet gauges not refreshed', { error: (error as Error).message }))
      .finally(() => {
        running = null;
      });
    return running;
  };

  return {
    refresh: tick,
    start(everyRealMs) {
      void tick();
      timer = setInterval(() => void tick(), everyRealMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
