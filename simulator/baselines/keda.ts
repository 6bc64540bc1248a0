import type { Autoscaler } from '../autoscaler.ts';
import { hpa } from './hpa.ts';
import type { ScheduledFloor } from './scheduled-floors.ts';

/**
 * KEDA: a ScaledObject feeds its trigger's value to the HPA it creates, which keeps the Kubernetes defaults
 * (15 s sync, 10 % tolerance, 300 s scale-down stabilization, default rate policies). By default the HPA's
 * query reaches KEDA's metrics server, which asks the scaler live: the HPA reads a fresh value at each 15-s
 * sync (`keda`). With `useCachedMetrics: true` the metrics server answers from the value KEDA polled every
 * 30 s (`pollingInterval`): a 30-s average refreshed every 30 s (`keda-cached`, a variant).
 * KEDA's own 0 ↔ 1 activation and its `cooldownPeriod` (300 s, only for scaling to zero) never come into
 * play because every autoscaler here keeps at least one replica. `scheduledFloors` are cron triggers
 * (`desiredReplicas` inside the window).
 */
export function keda(
  scheduledFloors: readonly ScheduledFloor[] = [],
  options: { useCachedMetrics?: boolean; name?: string } = {},
): Autoscaler {
  const cached = options.useCachedMetrics ?? false;
  return hpa({
    name: options.name ?? (cached ? 'keda-cached' : 'keda'),
    metricPeriodSeconds: cached ? 30 : 15,
    metricDelaySeconds: 0,
    scheduledFloors,
  });
}
