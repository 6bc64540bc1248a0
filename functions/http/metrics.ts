/**
 * The metrics `GET /metrics` serves, as the routes, the shell and serve record them. prom-client (with its
 * default-metrics collectors, about 65 KB minified) is not loaded at start: the first metric recorded, or the
 * first `registry()` call, imports prometheus-metrics.ts in the background, and what is recorded until it has
 * loaded (a few calls, bounded) is replayed into it, in order. A function that is never scraped pays for it
 * after its first answer is on its way, not in its cold start.
 */
import type { Registry } from 'prom-client';
import type { ObservedCapacity } from '../../core/schema/target.ts';
import type { PrometheusMetrics } from './prometheus-metrics.ts';

/** Why a webhook was refused before it reached the shell. */
export type WebhookRejection =
  | 'unauthenticated'
  | 'forbidden'
  | 'rate-limited'
  | 'too-large'
  | 'bad-payload'
  | 'sender-unverified';

/** A counter: `inc` adds 1 (or `value`) to the series with these labels. */
export interface CounterMetric<L extends string> {
  inc(labels: Record<L, string>, value?: number): void;
}
/** A histogram: one observation for the series with these labels. */
export interface HistogramMetric<L extends string> {
  observe(labels: Record<L, string>, value: number): void;
}
/** A gauge: the series with these labels is now `value`. */
export interface GaugeMetric<L extends string> {
  set(labels: Record<L, string>, value: number): void;
}

/** Every metric Tide exposes. */
export interface ApiMetrics {
  decisions: CounterMetric<'outcome'>;
  actions: CounterMetric<'type'>;
  actionFailures: CounterMetric<'type'>;
  eventSeconds: HistogramMetric<'source'>;
  desiredCapacity: GaugeMetric<'target'>;
  readyCapacity: GaugeMetric<'target'>;
  costUsdPerHour: GaugeMetric<'target'>;
  webhookRejections: CounterMetric<'reason'>;
  /** Set the capacity gauges from an observation (and $/h when it is known). */
  observed(targetId: string, observed: ObservedCapacity, usdPerHour: number | null): void;
  /** prom-client's registry holding these metrics (loads prom-client at the first call). */
  registry(): Promise<Registry>;
}

export interface MetricOptions {
  /** Also collect the process's default metrics (CPU, memory, event loop): `tide serve`. */
  processMetrics?: boolean;
}

/**
 * Calls recorded before prom-client has loaded, replayed once it has. The import takes milliseconds, so a
 * handful queue up; past this many (the import hanging) the oldest are dropped, keeping memory bounded.
 */
const MAX_PENDING = 10_000;

/** Tide's metrics, prom-client loaded at the first use (see above). */
export function createApiMetrics(options: MetricOptions = {}): ApiMetrics {
  let loading: Promise<PrometheusMetrics> | undefined;
  let loaded: PrometheusMetrics | undefined;
  const pending: ((metrics: PrometheusMetrics) => void)[] = [];
  const load = () => {
    loading ??= import('./prometheus-metrics.ts').then(({ createPrometheusMetrics }) => {
      const metrics = createPrometheusMetrics(options);
      for (const call of pending.splice(0)) {
        // Made directly, a bad call throws at its caller; replayed, it must not cost the others their record.
        try {
          call(metrics);
        } catch {}
      }
      loaded = metrics;
      return metrics;
    });
    return loading;
  };
  const record = (call: (metrics: PrometheusMetrics) => void) => {
    if (loaded) return call(loaded);
    if (pending.length >= MAX_PENDING) pending.shift();
    pending.push(call);
    // A failed import leaves the calls queued (bounded) and is reported by the next registry() call.
    load().catch(() => {});
  };
  const counter = <L extends string>(name: keyof PrometheusMetrics & string): CounterMetric<L> => ({
    inc: (labels, value) => record((m) => (m[name] as CounterMetric<L>).inc(labels, value)),
  });
  const gauge = <L extends string>(name: keyof PrometheusMetrics & string): GaugeMetric<L> => ({
    set: (labels, value) => record((m) => (m[name] as GaugeMetric<L>).set(labels, value)),
  });
  return {
    decisions: counter('decisions'),
    actions: counter('actions'),
    actionFailures: counter('actionFailures'),
    eventSeconds: { observe: (labels, value) => record((m) => m.eventSeconds.observe(labels, value)) },
    desiredCapacity: gauge('desiredCapacity'),
    readyCapacity: gauge('readyCapacity'),
    costUsdPerHour: gauge('costUsdPerHour'),
    webhookRejections: counter('webhookRejections'),
    observed: (targetId, observed, usdPerHour) => record((m) => m.observed(targetId, observed, usdPerHour)),
    registry: async () => (await load()).registry,
  };
}
