/**
 * The loop a cloud's scheduled tick runs over its targets (Google Cloud and Azure): each target of the
 * provider, a bounded number at once, asked for the signals its cloud reports now (metrics, capacity errors,
 * the next steps of rolling changes), each signal through the shell like any event (idempotent by the tick's
 * id and the signal, audited, decided in order). A target whose cloud fails is logged and reported; the others go on.
 * The metrics its policy reads from Prometheus (`targetTracking[].prometheus`) are read beside its cloud's.
 */
import type { PrometheusReadOptions } from '../../adapters/prometheus/metric-signals.ts';
import { isRetryable } from '../../adapters/state/errors.ts';
import type { Signal } from '../../core/schema/signal.ts';
import type { Target } from '../../core/schema/target.ts';
import type { Runtime } from './runtime.ts';

/** What one tick did. */
export interface CloudTickReport {
  targets: number;
  signals: number;
  failures: { targetId: string; retryable: boolean; message: string }[];
}

/** What the loop uses of a runtime: a cloud function's (functions/shell/runtime.ts), or `tide serve`'s. */
export type TickRuntime = Pick<Runtime, 'store' | 'shell' | 'logger' | 'clock'>;

/** Targets handled at once: each reads its cloud and writes its state (a handful of round trips). */
const TARGET_CONCURRENCY = 8;

export async function tickTargets(
  runtime: TickRuntime,
  provider: 'gcp' | 'azure',
  tickId: string,
  report: CloudTickReport,
  signalsFor: (target: Target) => Promise<Signal[]>,
  /** `false`: the caller reads the policies' Prometheus metrics itself (`tide serve`'s ticker does). */
  prometheus: Omit<PrometheusReadOptions, 'logger'> | false = { env: {} },
): Promise<void> {
  const ids = await runtime.store.listTargets();
  const now = runtime.clock.now();
  for (let i = 0; i < ids.length; i += TARGET_CONCURRENCY) {
    await Promise.all(
      ids.slice(i, i + TARGET_CONCURRENCY).map(async (id) => {
        // Target and policy in one round trip (the event id names no event: nothing is read for it).
        const snapshot = await runtime.store.load(id, `${provider}-tick`);
        const target = snapshot.target?.value;
        if (target?.provider !== provider || target.resource?.provider !== provider) return;
        report.targets++;
        try {
          const policy = snapshot.policy?.value;
          const [cloud, queried] = await Promise.all([
            signalsFor(target),
            // Never throws: a failed query is a missing sample for the missing-metrics fallback. Loaded only
            // by a tick that has such a metric, so the function's start does not parse it (issue 18).
            prometheus && policy?.targetTracking.some((rule) => rule.prometheus)
              ? import('../../adapters/prometheus/metric-signals.ts').then(({ prometheusSignals }) =>
                  prometheusSignals(id, policy, now, (metric) => `${tickId}:prometheus:${metric}`, {
                    ...prometheus,
                    logger: runtime.logger,
                  }),
                )
              : [],
          ]);
          for (const signal of [...cloud, ...queried]) {
            report.signals++;
            await runtime.shell.handle({
              targetId: id,
              signal: { ...signal, eventId: `${tickId}:${signalKey(signal)}` },
            });
          }
        } catch (error) {
          const message = (error as Error).message;
          const retryable = isRetryable(error);
          runtime.logger.warn(`${provider} tick: target failed`, { targetId: id, error: message, retryable });
          report.failures.push({ targetId: id, retryable, message });
        }
      }),
    );
  }
}

/** A signal's part of its event id within one tick: one per metric, per pool and error code, per kind. */
function signalKey(signal: Signal): string {
  switch (signal.kind) {
    case 'metric':
    case 'metric-failure':
      return `${signal.kind}:${signal.source === 'prometheus' ? 'prometheus:' : ''}${signal.metric}`;
    case 'capacity-error':
      return `capacity-error:${signal.poolId}:${signal.code}`;
    default:
      return signal.kind;
  }
}
