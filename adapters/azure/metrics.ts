/**
 * Tracked metrics from Azure Monitor on each tick, so target tracking runs on values and not only on alert
 * notifications. One `metrics.list` per metric (its resource, name and aggregation) over the last few
 * intervals; the newest point with a value wins. A failed or empty answer is a `metric-failure` signal, which
 * the missing-metrics fallback counts.
 */
import type { Signal } from '../../core/schema/signal.ts';
import type { AzureMetricBinding } from '../../core/schema/resource-azure.ts';
import { callAzure, DEFAULT_AZURE_CALL_POLICY, type AzureCallPolicy } from './call.ts';
import type { AzureClients, Client } from './clients.ts';

interface MetricValue {
  timeStamp?: string | Date;
  average?: number;
  maximum?: number;
  minimum?: number;
  total?: number;
  count?: number;
}

const FIELD: Record<AzureMetricBinding['aggregation'], keyof MetricValue> = {
  Average: 'average',
  Maximum: 'maximum',
  Minimum: 'minimum',
  Total: 'total',
  Count: 'count',
};

/** Read each metric; one signal per metric: its newest value, or why there is none. */
export async function readAzureMetrics(
  clients: AzureClients,
  subscriptionId: string,
  metrics: Record<string, AzureMetricBinding>,
  now: number,
  policy: AzureCallPolicy = DEFAULT_AZURE_CALL_POLICY,
): Promise<Signal[]> {
  return Promise.all(
    Object.entries(metrics).map(async ([name, binding]): Promise<Signal> => {
      const lookback = binding.intervalSeconds * 3;
      const failure = (error: string): Signal => ({
        kind: 'metric-failure',
        metric: name,
        error: error.slice(0, 300),
        observedAt: now,
        source: 'azure-monitor',
      });
      try {
        const monitor = clients.monitor(subscriptionId);
        const response = await callAzure<Client>(policy, 'metrics.list', binding.resourceId, (options) =>
          // The path is `/{resourceUri}/providers/…`: without its leading slash, the id makes one clean path.
          monitor.metrics.list(binding.resourceId.replace(/^\/+/, ''), {
            ...options,
            metricnames: binding.metricName,
            aggregation: binding.aggregation,
            interval: `PT${binding.intervalSeconds / 60 >= 1 && binding.intervalSeconds % 60 === 0 ? `${binding.intervalSeconds / 60}M` : `${binding.intervalSeconds}S`}`,
            timespan: `${new Date(now - lookback * 1000).toISOString()}/${new Date(now).toISOString()}`,
          }),
        );
        const field = FIELD[binding.aggregation];
        const points: MetricValue[] = (response?.value ?? []).flatMap(
          (metric: { timeseries?: { data?: MetricValue[] }[] }) =>
            (metric.timeseries ?? []).flatMap((series) => series.data ?? []),
        );
        const time = (point: MetricValue) => new Date(point.timeStamp ?? 0).getTime();
        const newest = points
          .filter((point) => typeof point[field] === 'number' && Number.isFinite(point[field]))
          .sort((a, b) => time(b) - time(a))[0];
        if (!newest) return failure(`no data for ${binding.metricName} in the last ${lookback} s`);
        return {
          kind: 'metric',
          metric: name,
          value: newest[field] as number,
          observedAt: Math.min(now, time(newest) || now),
          source: 'azure-monitor',
        };
      } catch (error) {
        return failure((error as Error).message);
      }
    }),
  );
}
