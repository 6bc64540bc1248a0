/**
 * Metrics that target tracking reads from Prometheus (`targetTracking[].prometheus`) in `tide serve`: on
 * every scheduled tick, each target's rules are read (adapters/prometheus/metric-signals.ts, as the cloud
 * functions' ticks do) and delivered before the tick itself. Targets are read side by side, at most
 * `concurrency` at once.
 */
import type { Signal } from '../../core/schema/signal.ts';
import { prometheusSignals, readsPrometheus, runBounded } from '../../adapters/prometheus/metric-signals.ts';
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
  /** Where the policies' credential variables (TIDE_PROMETHEUS_…) are read; default none. */
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  concurrency?: number;
}): MetricSource {
  const read = { env: deps.env ?? {}, logger: deps.logger, ...(deps.fetch ? { fetch: deps.fetch } : {}) };
  return async (targetIds, now, slot) => {
    const jobs = targetIds.map((targetId) => async (): Promise<Delivery[]> => {
      let policy: Awaited<ReturnType<typeof deps.store.getPolicy>>;
      try {
        policy = await deps.store.getPolicy(targetId);
      } catch (error) {
        deps.logger.warn('prometheus: could not read the policy', { targetId, error: (error as Error).message });
        return [];
      }
      if (!readsPrometheus(policy?.value)) return [];
      const signals = await prometheusSignals(
        targetId,
        policy?.value,
        now,
        (metric) => `prometheus:${targetId}:${metric}:${slot}`,
        read,
      );
      return signals.map((signal) => ({ targetId, signal }));
    });
    return (await runBounded(jobs, deps.concurrency ?? 8)).flat();
  };
}
