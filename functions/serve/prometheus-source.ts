/**
 * Metrics that target tracking reads from Prometheus (`targetTracking[].prometheus`): on every scheduled
 * tick, each such rule's PromQL instant query runs (adapters/prometheus) and its value becomes a `metric`
 * signal for the rule's metric; an empty or failed result becomes a `metric-failure`, which counts toward
 * the missing-metrics fallback. Queries of one tick run side by side, at most `concurrency` at once.
 */
import type { Signal } from '../../core/schema/signal.ts';
import { prometheusInstantQuery } from '../../adapters/prometheus/instant-query.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';

export interface Delivery {
  targetId: string;
  signal: Signal;
}

/** Signals for the targets' Prometheus metrics at `now` (clock time, which names the tick). */
export type MetricSource = (targetIds: readonly string[], now: number, slot: number) => Promise<Delivery[]>;

export function createPrometheusSource(deps: {
  store: Pick<StateStore, 'getPolicy'>;
  logger: Logger;
  fetch?: typeof fetch;
  concurrency?: number;
}): MetricSource {
  return async (targetIds, now, slot) => {
    const jobs: (() => Promise<Delivery>)[] = [];
    for (const targetId of targetIds) {
      let policy: Awaited<ReturnType<typeof deps.store.getPolicy>>;
      try {
        policy = await deps.store.getPolicy(targetId);
      } catch (error) {
        deps.logger.warn('prometheus: could not read the policy', { targetId, error: (error as Error).message });
        continue;
      }
      for (const rule of policy?.value.targetTracking ?? []) {
        const source = rule.prometheus;
        if (!source) continue;
        jobs.push(async () => {
          const eventId = `prometheus:${targetId}:${rule.metric}:${slot}`;
          const result = await prometheusInstantQuery(source.server, source.query, {
            timeoutMs: source.timeoutSeconds * 1000,
            ...(deps.fetch ? { fetch: deps.fetch } : {}),
          });
          if (result.ok)
            return {
              targetId,
              signal: {
                kind: 'metric',
                metric: rule.metric,
                value: result.value,
                source: 'prometheus',
                observedAt: now,
                eventId,
              },
            };
          deps.logger.warn('prometheus: no sample', { targetId, metric: rule.metric, error: result.error });
          return {
            targetId,
            signal: {
              kind: 'metric-failure',
              metric: rule.metric,
              error: result.error,
              source: 'prometheus',
              observedAt: now,
              eventId,
            },
          };
        });
      }
    }
    return runBounded(jobs, deps.concurrency ?? 8);
  };
}

async function runBounded<T>(jobs: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return results;
}
