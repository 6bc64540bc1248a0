import type { CloudEvent, SimulatedCloud } from '../adapters/fake-cloud/cloud.ts';
import { ResourceBusyError } from '../adapters/ports/actuator.ts';
import type { MetricHistory } from './metrics.ts';

/** What an autoscaler sees at one simulated second. */
export interface AutoscalerContext {
  /** Seconds since the run started. */
  now: number;
  /** Epoch ms of `now`. */
  nowMs: number;
  metrics: MetricHistory;
  cloud: SimulatedCloud;
  /** The pool the baselines scale (the first one). */
  poolId: string;
  /** Requests in flight per replica the autoscaler aims at (the same for every baseline). */
  targetPerReplica: number;
  minReplicas: number;
  maxReplicas: number;
  /** Ready replicas now. */
  ready: number;
  /** Replicas asked for now (ready + booting). */
  desired: number;
}

/**
 * One autoscaler under test. The engine calls `step` every simulated second; each autoscaler keeps its own
 * schedule (HPA syncs every 15 s, KPA ticks every 2 s, target tracking evaluates alarms every minute, Tide
 * acts when a signal is delivered) and acts on the simulated cloud.
 */
export interface Autoscaler {
  readonly name: string;
  step(context: AutoscalerContext): void | Promise<void>;
  /** Optional: a cloud event (spot notice, capacity error) the autoscaler is told about. */
  notify?(event: CloudEvent, context: AutoscalerContext): void | Promise<void>;
}

/**
 * Set the pool's desired count, clamped to [min, max]. Returns false when the cloud refused the change (an
 * endpoint `Updating`: the autoscaler keeps no record of a change that did not happen, and its next step
 * asks again, as Application Auto Scaling's next alarm evaluation and the HPA's next sync do). A launch
 * that found no capacity counts as made: the desired count is kept and the pool retries, like an Auto
 * Scaling group.
 */
export function scaleTo(context: AutoscalerContext, replicas: number): boolean {
  const desired = Math.min(context.maxReplicas, Math.max(context.minReplicas, replicas));
  if (desired === context.desired) return true;
  try {
    context.cloud.setDesired(context.poolId, desired);
  } catch (error) {
    if (error instanceof ResourceBusyError) return false;
    // InsufficientCapacityError: the desired count is kept and the pool retries.
  }
  return true;
}

/**
 * ceil that forgives float noise: 84 ÷ 10 ÷ 5.6 × 10 is 15.000000000000002 in binary floating point, which
 * a person (and Kubernetes' milli-unit arithmetic) reads as exactly 15.
 */
export function ceilReplicas(value: number): number {
  return Math.ceil(value - 1e-9);
}
