import { ceilReplicas, scaleTo, type Autoscaler, type AutoscalerContext } from '../autoscaler.ts';
import { floorAt, type ScheduledFloor } from './scheduled-floors.ts';

/** Kubernetes HorizontalPodAutoscaler v2 settings; defaults are Kubernetes' own (see docs/simulator.md). */
export interface HpaOptions {
  name: string;
  /** `--horizontal-pod-autoscaler-sync-period`: 15 s. */
  syncSeconds: number;
  /** Tolerance around the target ratio: 0.1. */
  tolerance: number;
  /** `behavior.scaleDown.stabilizationWindowSeconds`: 300 s (scale-up: 0 s). */
  scaleDownStabilizationSeconds: number;
  scaleUpStabilizationSeconds: number;
  /** How the metric reaches the HPA: aggregated over this period, seconds… */
  metricPeriodSeconds: number;
  /** …and available this long after the period ends. */
  metricDelaySeconds: number;
  /** Cron-trigger minimums (KEDA's cron scaler): a second metric, the largest recommendation wins. */
  scheduledFloors?: readonly ScheduledFloor[];
}

/** Kubernetes defaults, with the pods metric scraped every 15 s (Prometheus' usual interval). */
export const HPA_DEFAULTS: HpaOptions = {
  name: 'hpa',
  syncSeconds: 15,
  tolerance: 0.1,
  scaleDownStabilizationSeconds: 300,
  scaleUpStabilizationSeconds: 0,
  metricPeriodSeconds: 15,
  metricDelaySeconds: 0,
};

/**
 * The HPA's replica calculation for a per-pod (AverageValue) metric, after `calcPlainMetricReplicas` in
 * `replica_calculator.go`: ratio = average over ready pods ÷ target; inside the tolerance nothing changes.
 * Booting pods (Pending, so "unready") are dropped on the way down, and on the way up count as using 0, so
 * the ratio is recomputed over ready + booting pods; if that lands inside the tolerance or flips the
 * direction, or would not add pods, the count is kept. Returns the recommendation.
 */
export function hpaRecommendation(
  totalMetric: number,
  ready: number,
  current: number,
  target: number,
  tolerance: number,
): number {
  if (ready === 0) return current;
  const unready = Math.max(0, current - ready);
  const ratio = totalMetric / ready / target;
  if (unready === 0 || ratio <= 1) {
    if (Math.abs(1 - ratio) <= tolerance) return current;
    return ceilReplicas(ratio * ready);
  }
  const newRatio = totalMetric / ((ready + unready) * target);
  if (Math.abs(1 - newRatio) <= tolerance || newRatio < 1) return current;
  return Math.max(current, ceilReplicas(newRatio * (ready + unready)));
}

/**
 * Kubernetes HPA v2: every sync, a recommendation from {@link hpaRecommendation}; stabilization (the highest
 * recommendation of the last 300 s for scale-down, the lowest of the last 0 s for scale-up); then the
 * default rate policies, `selectPolicy: Max`: up by at most max(+100 %, +4 pods) per 15 s, down by at most
 * 100 % per 15 s.
 */
export function hpa(options: Partial<HpaOptions> = {}): Autoscaler & { options: HpaOptions } {
  const settings: HpaOptions = { ...HPA_DEFAULTS, ...options };
  const recommendations: Array<[number, number]> = [];
  const scaleEvents: Array<[number, number]> = [];
  return {
    name: settings.name,
    options: settings,
    step(context: AutoscalerContext) {
      if (context.now % settings.syncSeconds !== 0) return;
      const datapoint = context.metrics.delivered(
        context.now,
        settings.metricPeriodSeconds,
        settings.metricDelaySeconds,
      );
      if (!datapoint) return;
      const current = context.desired;
      const recommendation = Math.max(
        hpaRecommendation(datapoint.concurrency, context.ready, current, context.targetPerReplica, settings.tolerance),
        floorAt(settings.scheduledFloors ?? [], context.nowMs),
      );
      recommendations.push([context.now, recommendation]);
      const longest = Math.max(settings.scaleDownStabilizationSeconds, settings.scaleUpStabilizationSeconds);
      while (recommendations.length > 0 && recommendations[0]![0] < context.now - longest) recommendations.shift();
      let upFloor = recommendation;
      let downCeiling = recommendation;
      for (const [at, value] of recommendations) {
        if (at >= context.now - settings.scaleUpStabilizationSeconds) upFloor = Math.min(upFloor, value);
        if (at >= context.now - settings.scaleDownStabilizationSeconds) downCeiling = Math.max(downCeiling, value);
      }
      let stabilized = current;
      if (stabilized < upFloor) stabilized = upFloor;
      if (stabilized > downCeiling) stabilized = downCeiling;
      // Rate policies over the last 15 s, from the count at the start of that period.
      while (scaleEvents.length > 0 && scaleEvents[0]![0] <= context.now - 15) scaleEvents.shift();
      let added = 0;
      let removed = 0;
      for (const [, delta] of scaleEvents) {
        if (delta > 0) added += delta;
        else removed -= delta;
      }
      let desired = stabilized;
      if (stabilized > current) {
        const periodStart = current - added;
        desired = Math.min(stabilized, Math.max(periodStart * 2, periodStart + 4));
      }
      // Scale-down: −100 % per 15 s allows any decrease, so the stabilized count stands (`removed` unused).
      void removed;
      desired = Math.min(context.maxReplicas, Math.max(context.minReplicas, desired));
      if (desired !== current && scaleTo(context, desired)) scaleEvents.push([context.now, desired - current]);
    },
  };
}
