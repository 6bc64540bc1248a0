import type { CapacityType } from '../core/schema/target.ts';
import type { BootSpread } from '../adapters/fake-cloud/cloud.ts';
import type { SpotMarketOptions } from '../adapters/fake-cloud/spot-market.ts';
import type { LoadMetric } from './metrics.ts';
import type { ServingModel } from './serving.ts';
import type { Trace } from './trace.ts';

/** Everything one simulated run needs besides the autoscaler. */
export interface SimulationSettings {
  seed: number;
  /** Time-to-first-token SLO, ms. */
  sloMs: number;
  model: ServingModel;
  instanceType: string;
  capacityType: CapacityType;
  /** Boot delay per instance type, seconds (`default` for the rest); the median when `bootSpread` is set. */
  bootSeconds: Record<string, number>;
  /** How each launch's boot delay spreads around `bootSeconds` (absent: every boot takes exactly that). */
  bootSpread?: BootSpread;
  /** Fraction of a replica's slots every autoscaler aims to keep busy (Knative's default 0.7). */
  targetUtilization: number;
  minReplicas: number;
  maxReplicas: number;
  /**
   * Seconds at the start during which autoscalers are not stepped: the endpoint starts empty, and the
   * first seconds' metrics (no requests in flight yet) would tell every autoscaler to scale in.
   */
  warmupSeconds: number;
  /** The load metric every baseline reads: in-flight requests (default) or offered load. */
  metric?: LoadMetric;
  spotMarket?: SpotMarketOptions;
  /**
   * SageMaker refuses a resize while the endpoint is `Updating` (a node of an earlier resize still boots),
   * for every autoscaler alike: the cloud throws `ResourceBusyError` and the autoscaler tries again at its
   * next step (see `SimulatedCloudOptions.refuseWhileUpdating`). The hindsight oracle is not refused: it is
   * a bound, not an autoscaler.
   */
  refuseWhileUpdating?: boolean;
}

/** What is worked out from the trace once and shared by every run. */
export interface Workload {
  trace: Trace;
  /** Seconds simulated (and billed): from the first arrival's second to the last arrival. */
  durationSeconds: number;
  /** Replicas needed per minute at full slots: ceil(offered concurrency ÷ slots per replica). */
  neededPerMinute: number[];
  /** Offered concurrency per minute: Σ service seconds of the minute's arrivals ÷ 60. */
  offeredPerMinute: number[];
  /** Replicas for the busiest minute at the target utilization (static provisioning's size). */
  peakReplicas: number;
  /**
   * Replica-hours the requests' service time alone takes with every slot busy all the time: Σ service
   * seconds ÷ slots per replica ÷ 3,600. Work conservation makes this a floor under the GPU-hours of any
   * autoscaler on this instance type that serves the requests while it is billed (queueing only adds to
   * it; a run that leaves a backlog at the end has it served unbilled, so the floor does not bind it).
   */
  workReplicaHours: number;
  /**
   * Replicas every autoscaler starts with, booted: the busiest of the first ten minutes at the target
   * utilization (what an operator sizing the endpoint for the hour ahead would start from).
   */
  initialReplicas: number;
}
