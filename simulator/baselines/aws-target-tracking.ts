import { ceilReplicas, scaleTo, type Autoscaler, type AutoscalerContext } from '../autoscaler.ts';
import { floorAt, type ScheduledFloor } from './scheduled-floors.ts';

/** AWS Application Auto Scaling target tracking settings; defaults are AWS's (see docs/simulator.md). */
export interface TargetTrackingOptions {
  /** Run name: `aws-target-tracking` (high resolution) or `aws-target-tracking-1m` (standard). */
  name: string;
  /** Datapoint period of the alarms' metric: 10 s (high resolution) or 60 s (standard resolution). */
  periodSeconds: number;
  /** When a datapoint is available after its period ends: 10 s, or about 60 s for a standard metric. */
  delaySeconds: number;
  /** Consecutive datapoints above target for the scale-out alarm: 3. */
  scaleOutDatapoints: number;
  /** Consecutive datapoints below the low threshold for the scale-in alarm: 15 minutes' worth. */
  scaleInDatapoints: number;
  /** The scale-in alarm's threshold as a fraction of the target: about 0.9. */
  scaleInThresholdRatio: number;
  /** Cooldowns for SageMaker variants: 300 s each. */
  scaleOutCooldownSeconds: number;
  scaleInCooldownSeconds: number;
  /** Scheduled actions raising MinCapacity over windows (off by default). */
  scheduledFloors?: readonly ScheduledFloor[];
}

/**
 * AWS's defaults for a SageMaker variant tracking the high-resolution `ConcurrentRequestsPerModel` (the
 * metric Tide is fed): SageMaker emits it every 10 s, and "as concurrent traffic increases the policy scales
 * out much faster than with standard metrics; as traffic decreases it scales in at the same rate" (SageMaker
 * developer guide, "Define a scaling policy"). So the scale-out alarm wants 3 datapoints of 10 s, the
 * scale-in alarm still 15 minutes (90 datapoints of 10 s).
 */
export const TARGET_TRACKING_DEFAULTS: TargetTrackingOptions = {
  name: 'aws-target-tracking',
  periodSeconds: 10,
  delaySeconds: 10,
  scaleOutDatapoints: 3,
  scaleInDatapoints: 90,
  scaleInThresholdRatio: 0.9,
  scaleOutCooldownSeconds: 300,
  scaleInCooldownSeconds: 300,
};

/** The standard-resolution form (`InvocationsPerInstance`-style, 1-minute datapoints a minute late): a variant. */
export const TARGET_TRACKING_STANDARD: TargetTrackingOptions = {
  ...TARGET_TRACKING_DEFAULTS,
  name: 'aws-target-tracking-1m',
  periodSeconds: 60,
  delaySeconds: 60,
  scaleInDatapoints: 15,
};

/**
 * AWS target tracking on a per-instance metric (SageMaker's `ConcurrentRequestsPerModel` by default, or a
 * 1-minute metric such as `InvocationsPerInstance`, normalised by the instances in service). Two CloudWatch
 * alarms are evaluated on each new datapoint: high (the last 3 above target) and low (15 minutes of
 * datapoints below 90 % of target). While an alarm is in ALARM the policy
 * computes capacity = ceil(current × metric ÷ target) and applies it if it moves the right way. During the
 * scale-out cooldown, capacity added by the scale-out that started it counts toward the next one (the
 * computation starts from the capacity before it), so it only grows further if the metric says so. Scale-in
 * waits for its own cooldown, which a scale-out interrupts and ends.
 */
export function awsTargetTracking(options: Partial<TargetTrackingOptions> = {}): Autoscaler {
  const settings = { ...TARGET_TRACKING_DEFAULTS, ...options };
  const datapoints: number[] = [];
  let lastPeriodEnd = -1;
  let lastScaleOutAt = -Infinity;
  let capacityBeforeScaleOut = 0;
  let lastScaleInAt = -Infinity;
  return {
    name: settings.name,
    step(context: AutoscalerContext) {
      // A scheduled action raising MinCapacity above the current capacity scales out to it at once.
      const floor = floorAt(settings.scheduledFloors ?? [], context.nowMs);
      if (floor > context.desired) {
        scaleTo(context, floor);
        return;
      }
      const datapoint = context.metrics.delivered(context.now, settings.periodSeconds, settings.delaySeconds);
      if (!datapoint || datapoint.periodEnd === lastPeriodEnd) return;
      lastPeriodEnd = datapoint.periodEnd;
      datapoints.push(datapoint.perReplica);
      if (datapoints.length > settings.scaleInDatapoints) datapoints.shift();
      const target = context.targetPerReplica;
      const recent = (n: number) => (datapoints.length >= n ? datapoints.slice(-n) : undefined);
      const high = recent(settings.scaleOutDatapoints)?.every((value) => value > target) ?? false;
      const low =
        recent(settings.scaleInDatapoints)?.every((value) => value < target * settings.scaleInThresholdRatio) ?? false;
      const ratio = datapoint.perReplica / target;
      const current = context.desired;
      const inScaleOutCooldown = context.now < lastScaleOutAt + settings.scaleOutCooldownSeconds;
      if (high) {
        const base = inScaleOutCooldown ? capacityBeforeScaleOut : current;
        const wanted = Math.min(context.maxReplicas, ceilReplicas(base * ratio));
        // A scaling activity that failed (the endpoint was Updating) starts no cooldown.
        if (wanted > current && scaleTo(context, wanted)) {
          if (!inScaleOutCooldown) {
            capacityBeforeScaleOut = current;
            lastScaleOutAt = context.now;
          }
          lastScaleInAt = -Infinity; // a scale-out interrupts and ends a scale-in cooldown
        }
      } else if (low && context.now >= lastScaleInAt + settings.scaleInCooldownSeconds) {
        const wanted = Math.max(context.minReplicas, floor, ceilReplicas(current * ratio));
        if (wanted < current && scaleTo(context, wanted)) lastScaleInAt = context.now;
      }
    },
  };
}
