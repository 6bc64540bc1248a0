/**
 * Tracked metrics from Cloud Monitoring on each tick, so target tracking runs on values and not only on
 * alert notifications. One `timeSeries.list` per metric type and project, aligned and reduced to one series
 * (the mean across replicas by default), over the last few alignment periods; the newest point wins. A
 * failed or empty answer is a `metric-failure` signal, which the missing-metrics fallback counts.
 */
import type { Signal } from '../../core/schema/signal.ts';
import { callGcp, gaxOptions, type GcpCallPolicy, DEFAULT_CALL_POLICY } from './call.ts';
import type { Client, GcpClients } from './clients.ts';
import type { GcpMetricBinding } from './config.ts';

interface Point {
  interval?: { endTime?: { seconds?: number | string; nanos?: number } | string };
  value?: { doubleValue?: number; int64Value?: number | string };
}

function pointTime(point: Point): number {
  const end = point.interval?.endTime;
  if (typeof end === 'string') return Date.parse(end);
  return Number(end?.seconds ?? 0) * 1000 + Math.floor((end?.nanos ?? 0) / 1e6);
}

/**
 * The answers of one tick's queries, by query: targets that track the same metric type in the same project
 * (same filter and alignment) share one `timeSeries.list` (its failure too: the same query fails alike).
 */
export type TimeSeriesQueries = Map<string, Promise<unknown>>;

/** Read each metric; one signal per metric: its newest value, or why there is none. */
export async function readGcpMetrics(
  clients: GcpClients,
  metrics: Record<string, GcpMetricBinding>,
  now: number,
  policy: GcpCallPolicy = DEFAULT_CALL_POLICY,
  queries: TimeSeriesQueries = new Map(),
): Promise<Signal[]> {
  const entries = Object.entries(metrics);
  return Promise.all(
    entries.map(async ([name, binding]): Promise<Signal> => {
      const filter = `metric.type = "${binding.type}"${binding.filter ? ` AND ${binding.filter}` : ''}`;
      const lookbackSeconds = binding.alignmentSeconds * 3;
      const request = {
        name: `projects/${binding.project}`,
        filter,
        interval: {
          startTime: { seconds: Math.floor(now / 1000) - lookbackSeconds },
          endTime: { seconds: Math.floor(now / 1000) },
        },
        aggregation: {
          alignmentPeriod: { seconds: binding.alignmentSeconds },
          perSeriesAligner: binding.aligner,
          crossSeriesReducer: binding.reducer,
        },
        view: 'FULL',
      };
      const key = JSON.stringify(request);
      try {
        let answer = queries.get(key);
        if (!answer) {
          answer = callGcp<Client>(policy, 'timeSeries.list', request.name, () =>
            clients.metrics.listTimeSeries(request, { ...gaxOptions(policy), autoPaginate: false }),
          );
          queries.set(key, answer);
        }
        const [series] = (await answer) as [{ points?: Point[] }[] | undefined];
        const points: Point[] = (series ?? []).flatMap((s) => s.points ?? []);
        const newest = points.sort((a, b) => pointTime(b) - pointTime(a))[0];
        const value = Number(newest?.value?.doubleValue ?? newest?.value?.int64Value);
        if (!newest || !Number.isFinite(value)) {
          return {
            kind: 'metric-failure',
            metric: name,
            error: `no data for ${binding.type} in the last ${lookbackSeconds} s`,
            observedAt: now,
            source: 'gcp-monitoring',
          };
        }
        return {
          kind: 'metric',
          metric: name,
          value,
          observedAt: Math.min(now, pointTime(newest) || now),
          source: 'gcp-monitoring',
        };
      } catch (error) {
        return {
          kind: 'metric-failure',
          metric: name,
          error: (error as Error).message.slice(0, 300),
          observedAt: now,
          source: 'gcp-monitoring',
        };
      }
    }),
  );
}
