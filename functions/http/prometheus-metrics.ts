/**
 * Tide's metrics in prom-client (text format for `GET /metrics`): loaded by metrics.ts at their first use, so
 * prom-client is not part of a function's cold start. One registry per app, so two apps in one process
 * (tests) never share counters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ObservedCapacity } from '../../core/schema/target.ts';

/** The metrics as prom-client objects, with their registry (metrics.ts's `ApiMetrics`, loaded). */
export interface PrometheusMetrics {
  registry: Registry;
  decisions: Counter<'outcome'>;
  actions: Counter<'type'>;
  actionFailures: Counter<'type'>;
  eventSeconds: Histogram<'source'>;
  desiredCapacity: Gauge<'target'>;
  readyCapacity: Gauge<'target'>;
  costUsdPerHour: Gauge<'target'>;
  webhookRejections: Counter<'reason'>;
  /** Set the capacity gauges from an observation (and $/h when it is known). */
  observed(targetId: string, observed: ObservedCapacity, usdPerHour: number | null): void;
}

/** A fresh registry with Tide's metrics (and the process's default ones when `processMetrics`). */
export function createPrometheusMetrics(options: { processMetrics?: boolean } = {}): PrometheusMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics: PrometheusMetrics = {
    registry,
    decisions: new Counter({
      name: 'tide_decisions_total',
      help: 'Decisions committed, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    actions: new Counter({
      name: 'tide_actions_total',
      help: 'Actions executed, by type',
      labelNames: ['type'],
      registers,
    }),
    actionFailures: new Counter({
      name: 'tide_action_failures_total',
      help: 'Actions that failed, by type',
      labelNames: ['type'],
      registers,
    }),
    eventSeconds: new Histogram({
      name: 'tide_event_handling_seconds',
      help: 'Time to handle one webhook or tick, from receipt to answer, seconds',
      labelNames: ['source'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    desiredCapacity: new Gauge({
      name: 'tide_desired_capacity',
      help: 'Desired capacity the provider was last seen asked for, replicas or nodes',
      labelNames: ['target'],
      registers,
    }),
    readyCapacity: new Gauge({
      name: 'tide_ready_capacity',
      help: 'Ready capacity last observed, replicas or nodes',
      labelNames: ['target'],
      registers,
    }),
    costUsdPerHour: new Gauge({
      name: 'tide_cost_usd_per_hour',
      help: 'List-price spend of the capacity last observed, dollars per hour',
      labelNames: ['target'],
      registers,
    }),
    webhookRejections: new Counter({
      name: 'tide_webhook_rejections_total',
      help: 'Webhooks refused before a decision, by reason',
      labelNames: ['reason'],
      registers,
    }),
    observed(targetId, observed, usdPerHour) {
      metrics.desiredCapacity.set(
        { target: targetId },
        observed.pools.reduce((sum, pool) => sum + pool.desired, 0),
      );
      metrics.readyCapacity.set(
        { target: targetId },
        observed.pools.reduce((sum, pool) => sum + pool.ready, 0),
      );
      if (usdPerHour !== null) metrics.costUsdPerHour.set({ target: targetId }, usdPerHour);
    },
  };
  return metrics;
}
