import { decide } from '../core/decide.ts';
import type { Decision } from '../core/decision.ts';
import { emptyMemory, type Memory } from '../core/schema/memory.ts';
import { forgetRefusedScale } from '../core/strategies/rate-limit.ts';
import { PolicySchema, type Policy, type PolicyInput } from '../core/schema/policy.ts';
import type { Signal } from '../core/schema/signal.ts';
import type { Target } from '../core/schema/target.ts';
import { ResourceBusyError, type ActuatorPort } from '../adapters/ports/actuator.ts';
import type { CloudEvent } from '../adapters/fake-cloud/cloud.ts';
import { reconcile } from '../functions/shell/reconciler.ts';
import type { Autoscaler, AutoscalerContext } from './autoscaler.ts';

/** The metric Tide's simulated endpoint reports: requests in flight (queued + served) per ready replica. */
export const CONCURRENCY_METRIC = 'concurrent_requests_per_replica';

/**
 * The alternative: offered load per ready replica, arrivals × service time (Little's law) without the queue,
 * as CloudWatch metric math on `Invocations` × `ModelLatency` ÷ instances would give it.
 */
export const OFFERED_METRIC = 'offered_concurrency_per_replica';

/** Which metric Tide's signals carry. */
export type TideMetric = 'in-flight' | 'offered';

/**
 * How the metric reaches Tide: SageMaker's high-resolution `ConcurrentRequestsPerModel` is published every
 * 10 s; an alarm or metric stream hands it to the function about 10 s after the period ends.
 */
export interface TideDelivery {
  periodSeconds: number;
  delaySeconds: number;
}

/** 10-s datapoints, 10 s late; see {@link TideDelivery}. */
export const TIDE_DELIVERY_DEFAULTS: TideDelivery = { periodSeconds: 10, delaySeconds: 10 };

/**
 * Tide's default inference policy in the simulator: target tracking on concurrency per replica at
 * `targetPerReplica` over a 60 s average, the core's defaults for the rest (10 % tolerance, 300 s scale-in
 * stabilization, HPA rate limits, burst mode at 2× over 6 s). With `replicaBootSeconds` (the boot-aware
 * variant, `tide simulate --tide-boot-aware`) it scales out only for demand that lasts that long and has no
 * burst mode. With `lookAheadSeconds` (the default in `runComparison`: the median boot) a scale-out buys for
 * the demand that far ahead (`lookAhead`: the demand's trend, and a plan opening within it), because the
 * endpoint takes no other resize while the replicas it launched boot; with `keepThroughLull` (off by default,
 * `tide simulate --tide-keep-through-lull`) a scale-in also goes no lower than the highest demand of that horizon,
 * and with `keepAboveNoise` (z, `--tide-keep-above-noise Z`) no lower than that peak less z × the noise of one
 * demand point.
 * See docs/simulator.md for the choice.
 */
export function defaultTidePolicy(
  targetPerReplica: number,
  minCapacity: number,
  maxCapacity: number,
  metric: TideMetric = 'offered',
  replicaBootSeconds: number | null = null,
  spot = false,
  lookAheadSeconds: number | null = null,
  keepThroughLull = false,
  keepAboveNoise: number | null = null,
): PolicyInput {
  return {
    minCapacity,
    maxCapacity,
    targetTracking: [
      metric === 'offered'
        ? // A replica that boots for minutes is bought on the first datapoint over target: no 10 % tolerance.
          { metric: OFFERED_METRIC, targetValue: targetPerReplica, windowSeconds: 60, scaleOutTolerance: 0 }
        : { metric: CONCURRENCY_METRIC, targetValue: targetPerReplica, windowSeconds: 60 },
    ],
    ...(replicaBootSeconds !== null ? { replicaBootSeconds } : {}),
    ...(lookAheadSeconds !== null
      ? {
          lookAhead: {
            enabled: true,
            horizonSeconds: lookAheadSeconds,
            ...(keepThroughLull ? { keepThroughLull } : {}),
            ...(keepThroughLull && keepAboveNoise !== null ? { keepAboveNoise } : {}),
          },
        }
      : {}),
    // On spot: replicas spread over the spot pools, so one pool's outage takes only its share.
    ...(spot ? { spot: { spreadSpotPools: true } } : {}),
  };
}

/** What {@link tideAutoscaler} needs. */
export interface TideAutoscalerOptions {
  policy: Policy;
  target: Target;
  /** The port Tide acts through (the simulated cloud, or a recording fake around it). */
  actuator: ActuatorPort;
  delivery?: TideDelivery;
  /** Which metric the signals carry (default `in-flight`). */
  metric?: TideMetric;
  /** Also deliver a schedule tick every this many seconds (0 = never; plans are evaluated on every signal). */
  scheduleTickSeconds?: number;
  /** Called with every decision and the signal it answered (for inspection and tests). */
  onDecision?: (decision: Decision, signal: Signal) => void;
}

/**
 * Tide under test: the real decision core (`core/decide.ts`), fed signals the way the shell would get
 * them (a metric datapoint per delivery period, spot notices and capacity errors from the cloud), acting
 * through the actuator port and the shell's reconciler. Nothing here special-cases the simulation: it is the
 * shell's loop (read capacity, decide, reconcile, keep the memory) without Redis.
 */
export function tideAutoscaler(
  options: TideAutoscalerOptions,
): Autoscaler & { decisions: number; readonly memory: Memory } {
  const delivery = options.delivery ?? TIDE_DELIVERY_DEFAULTS;
  let memory: Memory = emptyMemory();
  let lastPeriodEnd = -1;
  const queued: Signal[] = [];
  // The endpoint publishes both metrics; Tide is sent those its policy tracks (one signal each per period),
  // or the one `metric` names when it tracks neither.
  const tracked = new Set(options.policy.targetTracking.map((rule) => rule.metric));
  const delivered = [CONCURRENCY_METRIC, OFFERED_METRIC].filter((metric) => tracked.has(metric));
  if (delivered.length === 0) delivered.push(options.metric === 'offered' ? OFFERED_METRIC : CONCURRENCY_METRIC);
  const self = {
    name: 'tide',
    decisions: 0,
    /** The memory the next decision starts from (for inspection and tests). */
    get memory(): Memory {
      return memory;
    },
    async step(context: AutoscalerContext) {
      const datapoint = context.metrics.delivered(context.now, delivery.periodSeconds, delivery.delaySeconds);
      if (datapoint && datapoint.periodEnd !== lastPeriodEnd) {
        lastPeriodEnd = datapoint.periodEnd;
        const observedAt = context.nowMs - (context.now - datapoint.periodEnd) * 1000;
        for (const metric of delivered)
          queued.push({
            kind: 'metric',
            metric,
            value: metric === OFFERED_METRIC ? datapoint.offeredPerReplica : datapoint.inFlightPerReplica,
            unit: 'Count',
            observedAt,
            source: 'simulated-cloudwatch',
          });
      }
      const tick = options.scheduleTickSeconds ?? 0;
      if (tick > 0 && context.now % tick === 0)
        queued.push({ kind: 'schedule-tick', observedAt: context.nowMs, source: 'simulated-scheduler' });
      while (queued.length > 0) await self.handle(queued.shift()!, context);
    },
    notify(event: CloudEvent) {
      if (event.kind === 'spot-notice') {
        queued.push({
          kind: 'spot-interruption',
          instanceId: event.instanceId,
          poolId: event.poolId,
          instanceType: event.instanceType,
          action: 'terminate',
          deadlineAt: event.deadlineAt,
          observedAt: event.at,
          source: 'simulated-ec2',
        });
      } else if (event.kind === 'capacity-error') {
        queued.push({
          kind: 'capacity-error',
          poolId: event.poolId,
          instanceType: event.instanceType,
          capacityType: event.capacityType,
          code: event.code,
          message: '',
          observedAt: event.at,
          source: 'simulated-ec2',
        });
      }
    },
    async handle(signal: Signal, context: AutoscalerContext) {
      const observed = await options.actuator.readCapacity(options.target.id);
      const decision = decide({
        now: context.nowMs,
        signal,
        target: options.target,
        policy: options.policy,
        observed,
        memory,
      });
      self.decisions++;
      const before = memory;
      memory = decision.memory;
      options.onDecision?.(decision, signal);
      // Through the shell's reconciler: capacity errors come back as signals, decided on next.
      const reconciliation = await reconcile(decision, options.actuator, {
        now: context.nowMs,
        source: 'simulated-ec2',
      });
      queued.push(...reconciliation.signals);
      // An endpoint `Updating` refuses the change: the next decision takes it up. Nothing was resized, so the
      // memory keeps no scale event of it (a kept one would rate-limit the next 15 s: a phantom scale-out).
      if (reconciliation.error instanceof ResourceBusyError) {
        if (!reconciliation.actions.some((result) => result.status === 'done'))
          memory = forgetRefusedScale(memory, before, context.nowMs);
        return;
      }
      // Otherwise the simulated cloud fails only for want of capacity; anything else is a bug in the simulation.
      if (reconciliation.error !== undefined && reconciliation.signals.length === 0) throw reconciliation.error;
    },
  };
  return self;
}

/** Parse a policy document for Tide (throws the schema's error on a bad document). */
export function parseTidePolicy(document: unknown): Policy {
  return PolicySchema.parse(document);
}
