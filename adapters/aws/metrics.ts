/**
 * Metrics for target tracking on the scheduled tick: every metric the AWS targets name (resource.metrics),
 * read with GetMetricData, batched (up to 500 queries a call, CloudWatch's limit) and grouped by region and
 * role, so a tick costs one call per region where it fits. Each value becomes a `metric` signal; a metric
 * with no datapoint in the window becomes a `metric-failure`, which feeds the policy's missing-metrics rule.
 */
import type { MetricFailure, MetricObservation } from '../../core/schema/signal.ts';
import type { Target } from '../../core/schema/target.ts';
import type { AwsCaller } from './calls.ts';
import type { AwsClients, AwsScope } from './clients.ts';
import { scopeKey } from './scope.ts';

/** GetMetricData's limit on queries per call. */
export const MAX_QUERIES_PER_CALL = 500;
/** Datapoints looked back over, in periods: a metric published a little late still counts. */
const LOOKBACK_PERIODS = 5;

export interface MetricReadResult {
  targetId: string;
  signal: MetricObservation | MetricFailure;
}

interface Query {
  id: string;
  targetId: string;
  metric: string;
  periodSeconds: number;
  input: {
    Id: string;
    MetricStat: {
      Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
      Period: number;
      Stat: string;
    };
    ReturnData: true;
  };
}

/** Read every tracked metric of `targets` at `now` (epoch ms). Failures of a whole call come back as metric-failure signals. */
export async function readAwsMetrics(
  targets: readonly { target: Target; scope: AwsScope }[],
  now: number,
  deps: { clients: AwsClients; caller: AwsCaller },
): Promise<MetricReadResult[]> {
  const byScope = new Map<string, { scope: AwsScope; queries: Query[] }>();
  for (const { target, scope } of targets) {
    const metrics = target.resource?.provider === 'aws' ? (target.resource.metrics ?? {}) : {};
    const key = scopeKey(scope);
    const group = byScope.get(key) ?? { scope, queries: [] };
    byScope.set(key, group);
    for (const [metric, spec] of Object.entries(metrics)) {
      const id = `m${group.queries.length}`;
      group.queries.push({
        id,
        targetId: target.id,
        metric,
        periodSeconds: spec.periodSeconds,
        input: {
          Id: id,
          MetricStat: {
            Metric: {
              Namespace: spec.namespace,
              MetricName: spec.metricName,
              Dimensions: Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value })),
            },
            Period: spec.periodSeconds,
            Stat: spec.stat,
          },
          ReturnData: true,
        },
      });
    }
  }
  const results: MetricReadResult[] = [];
  for (const { scope, queries } of byScope.values()) {
    for (let start = 0; start < queries.length; start += MAX_QUERIES_PER_CALL) {
      results.push(...(await readBatch(scope, queries.slice(start, start + MAX_QUERIES_PER_CALL), now, deps)));
    }
  }
  return results;
}

async function readBatch(
  scope: AwsScope,
  queries: Query[],
  now: number,
  deps: { clients: AwsClients; caller: AwsCaller },
): Promise<MetricReadResult[]> {
  const longest = Math.max(...queries.map((q) => q.periodSeconds));
  const input = {
    MetricDataQueries: queries.map((q) => q.input),
    StartTime: new Date(now - LOOKBACK_PERIODS * longest * 1000),
    EndTime: new Date(now),
    ScanBy: 'TimestampDescending' as const,
    MaxDatapoints: queries.length * LOOKBACK_PERIODS * 2,
  };
  const failure = (query: Query, error: string): MetricReadResult => ({
    targetId: query.targetId,
    signal: {
      kind: 'metric-failure',
      metric: query.metric,
      error,
      observedAt: now,
      source: 'aws-cloudwatch',
      eventId: `aws-cloudwatch-failure:${query.targetId}:${query.metric}:${now}`,
    },
  });
  let out: Awaited<ReturnType<typeof send>> | undefined;
  async function send() {
    const { sdk, client } = await deps.clients.cloudWatch(scope);
    return client.send(new sdk.GetMetricDataCommand(input));
  }
  try {
    out = await deps.caller.call('cloudwatch:GetMetricData', `region/${scope.region}`, input, send);
  } catch (error) {
    return queries.map((q) => failure(q, `GetMetricData failed: ${(error as Error).message}`));
  }
  const byId = new Map((out?.MetricDataResults ?? []).map((r) => [r.Id, r]));
  return queries.map((query) => {
    const result = byId.get(query.id);
    // Newest first (TimestampDescending): the first datapoint is the latest.
    const value = result?.Values?.[0];
    const at = result?.Timestamps?.[0];
    if (value === undefined || at === undefined || !Number.isFinite(value)) {
      return failure(
        query,
        `no datapoint in the last ${LOOKBACK_PERIODS * query.periodSeconds} s (${result?.StatusCode ?? 'no result'})`,
      );
    }
    return {
      targetId: query.targetId,
      signal: {
        kind: 'metric',
        metric: query.metric,
        value,
        observedAt: at.getTime(),
        source: 'aws-cloudwatch',
        eventId: `aws-cloudwatch:${query.targetId}:${query.metric}:${at.getTime()}`,
      },
    };
  });
}
