import { ceilReplicas, scaleTo, type Autoscaler, type AutoscalerContext } from '../autoscaler.ts';

/** Knative Pod Autoscaler settings; defaults are Knative Serving's (see docs/simulator.md). */
export interface KpaOptions {
  /** Autoscaler tick: 2 s. */
  tickSeconds: number;
  /** `stable-window`: 60 s. */
  stableWindowSeconds: number;
  /** `panic-window-percentage`: 10 % of the stable window = 6 s. */
  panicWindowSeconds: number;
  /** `panic-threshold-percentage`: 200 %. */
  panicThreshold: number;
  /** `max-scale-up-rate`: 1000. */
  maxScaleUpRate: number;
  /** `max-scale-down-rate`: 2 (at most halve the ready pods per decision). */
  maxScaleDownRate: number;
}

/** Knative Serving's defaults. */
export const KPA_DEFAULTS: KpaOptions = {
  tickSeconds: 2,
  stableWindowSeconds: 60,
  panicWindowSeconds: 6,
  panicThreshold: 2,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
};

/**
 * Knative KPA, after `pkg/autoscaler/scaling/autoscaler.go`: every 2 s, the observed concurrency (scraped
 * each second from the queue-proxies) averaged over the stable (60 s) and panic (6 s) windows, divided by
 * the per-pod target, gives two desired counts, each held within [ready ÷ 2, ready × 1000]. When the panic
 * count reaches 200 % of the ready pods the autoscaler panics: it follows the panic count but never goes
 * below the highest count of the panic, until 60 s pass without the condition. The per-pod target is
 * `containerConcurrency` × 70 % (`container-concurrency-target-percentage`), the same target every
 * autoscaler here uses.
 */
export function knativeKpa(options: Partial<KpaOptions> = {}): Autoscaler {
  const settings = { ...KPA_DEFAULTS, ...options };
  let panicSince: number | null = null;
  let lastPanicAt = -Infinity;
  let maxPanicPods = 0;
  return {
    name: 'knative-kpa',
    step(context: AutoscalerContext) {
      if (context.now % settings.tickSeconds !== 0) return;
      const { metrics, now } = context;
      const stable = metrics.mean(metrics.concurrency, now - settings.stableWindowSeconds, now);
      const panic = metrics.mean(metrics.concurrency, now - settings.panicWindowSeconds, now);
      if (stable === undefined || panic === undefined) return;
      const readyPods = Math.max(1, context.ready);
      const target = context.targetPerReplica;
      const clamp = (pods: number) =>
        Math.min(
          Math.ceil(readyPods * settings.maxScaleUpRate),
          Math.max(Math.floor(readyPods / settings.maxScaleDownRate), pods),
        );
      const desiredStable = clamp(ceilReplicas(stable / target));
      const desiredPanic = clamp(ceilReplicas(panic / target));
      const overThreshold = panic / target / readyPods >= settings.panicThreshold;
      if (overThreshold) {
        if (panicSince === null) {
          panicSince = now;
          maxPanicPods = readyPods;
        }
        lastPanicAt = now;
      } else if (panicSince !== null && now - lastPanicAt >= settings.stableWindowSeconds) {
        panicSince = null;
        maxPanicPods = 0;
      }
      let desired = desiredStable;
      if (panicSince !== null) {
        desired = Math.max(desiredPanic, maxPanicPods);
        maxPanicPods = desired;
      }
      scaleTo(context, desired);
    },
  };
}
