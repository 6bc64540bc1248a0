import type { Autoscaler } from '../autoscaler.ts';
import { hpa } from './hpa.ts';
import type { ScheduledFloor } from './scheduled-floors.ts';

/**
 * KEDA: a ScaledObject polls its trigger every 30 s (`pollingInterval`) and feeds the value to the HPA it
 * creates, which keeps the Kubernetes defaults (15 s sync, 10 % tolerance, 300 s scale-down stabilization,
 * default rate policies). So this is the HPA reading a metric that is a 30-s average refreshed every 30 s.
 * KEDA's own 0 ↔ 1 activation and its `cooldownPeriod` (300 s, only for scaling to zero) never come into
 * play because every autoscaler here keeps at least one replica. `scheduledFloors` are cron triggers
 * (`desiredReplicas` inside the window), off by default.
 */
export function keda(scheduledFloors: readonly ScheduledFloor[] = []): Autoscaler {
  return hpa({ name: 'keda', metricPeriodSeconds: 30, metricDelaySeconds: 0, scheduledFloors });
}
