import type { Policy, PolicyInput } from '../core/schema/policy.ts';
import type { Target } from '../core/schema/target.ts';
import { DEFAULT_BOOT_SECONDS, DEFAULT_BOOT_SPREAD } from '../adapters/fake-cloud/cloud.ts';
import { DEFAULT_SPOT_MARKET } from '../adapters/fake-cloud/spot-market.ts';
import type { Autoscaler } from './autoscaler.ts';
import { awsTargetTracking, TARGET_TRACKING_STANDARD } from './baselines/aws-target-tracking.ts';
import { hpa } from './baselines/hpa.ts';
import { keda } from './baselines/keda.ts';
import { knativeKpa } from './baselines/knative-kpa.ts';
import { floorsFromPlans } from './baselines/scheduled-floors.ts';
import { fixedCapacity, staticPeak } from './baselines/static-peak.ts';
import {
  POOL_ID,
  prepareWorkload,
  simulateRun,
  slotsPerReplica,
  targetPerReplica,
  type SimulationSettings,
  type Workload,
} from './engine.ts';
import { bestBaseline, checkSpotGoal, type SpotComparison } from './goal.ts';
import { runOracle, type OracleResult } from './oracle.ts';
import type { RunResult } from './results.ts';
import { DEFAULT_SERVING_MODEL, prefillSeconds, serviceSeconds } from './serving.ts';
import { instancePricing } from '../adapters/fake-cloud/prices.ts';
import {
  defaultTidePolicy,
  parseTidePolicy,
  TIDE_DELIVERY_DEFAULTS,
  tideAutoscaler,
  type TideAutoscalerOptions,
  type TideDelivery,
  type TideMetric,
} from './tide.ts';
import type { LoadMetric } from './metrics.ts';
import type { Trace } from './trace.ts';

/**
 * The autoscalers compared, in table order: each baseline's default form, then its variants (issue 17:
 * "report both forms where the old one was the documented default"). The `-plan-less` forms run only on a
 * workload with plans (without plans they are the default form).
 */
export const AUTOSCALER_NAMES = [
  'tide',
  'static-peak',
  'hpa',
  'aws-target-tracking',
  'aws-target-tracking-1m',
  'aws-target-tracking-plan-less',
  'keda',
  'keda-cached',
  'keda-plan-less',
  'knative-kpa',
] as const;

const PLAN_LESS: readonly AutoscalerName[] = ['aws-target-tracking-plan-less', 'keda-plan-less'];
/** One of {@link AUTOSCALER_NAMES}. */
export type AutoscalerName = (typeof AUTOSCALER_NAMES)[number];

/** Default time-to-first-token SLO, ms: 3 s (one conversation prompt, 14,050 tokens, prefills in 4.7 s: over it whatever the capacity). */
export const DEFAULT_SLO_MS = 3000;

/**
 * The share of a replica's slots Tide's default policy fills with offered load (arrivals × service time,
 * the queue left out): 0.6, against the 0.7 of in-flight requests every baseline aims at. The in-flight
 * metric counts a backlog as demand and buys for it; offered load does not, so the headroom is set here
 * instead. Chosen by replaying 0.7, 0.65 and 0.6 over the suite and the stand-ins (docs/simulator.md), one
 * figure for every workload.
 */
export const TIDE_OFFERED_UTILIZATION = 0.6;

/** Tide's on-demand fallback pool in spot runs. */
export const FALLBACK_POOL_ID = 'fallback';

/**
 * Tide's spot pools in spot runs: the primary pool and `spot-b`, `spot-c` … (other zones: each its own market,
 * drawn from its own seeded stream; real zones are less independent than that).
 */
export function spotPoolIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? POOL_ID : `spot-${String.fromCharCode(97 + i)}`));
}

/** What {@link runComparison} replays and how. */
export interface ComparisonOptions {
  trace: Trace;
  seed?: number;
  sloMs?: number;
  /** A policy document for Tide; default: {@link defaultTidePolicy} plus `plans`. */
  policy?: unknown;
  /** Scheduled plans added to Tide's default policy (the workload's). */
  plans?: unknown[];
  capacityType?: 'on-demand' | 'spot';
  instanceType?: string;
  bootSeconds?: number;
  /** Every boot takes exactly `bootSeconds` instead of a seeded draw around it (default: drawn). */
  fixedBoot?: boolean;
  /**
   * SageMaker refuses a resize while the endpoint is `Updating`, for every autoscaler alike (default on for
   * on-demand runs; spot runs model an Auto Scaling group, which accepts a resize while instances boot).
   * False: the old form, every resize accepted at once.
   */
  refuseWhileUpdating?: boolean;
  targetUtilization?: number;
  /** Tide's target utilization (default: the same as everyone's). */
  tideTargetUtilization?: number;
  delivery?: TideDelivery;
  /**
   * Give KEDA cron triggers and AWS target tracking scheduled actions matching Tide's plans (default on:
   * issue 17's fair baselines); the `-plan-less` variants run beside them either way.
   */
  baselineSchedules?: boolean;
  /** Spot runs: how many spot pools Tide spreads over (default 2, at most 8), besides its on-demand fallback. */
  spotPools?: number;
  /** Replay the hindsight oracle too (`oracle` in the report; default on). */
  oracle?: boolean;
  /** The load metric every autoscaler reads (default `in-flight`). */
  metric?: LoadMetric;
  /** Which metric Tide's default policy tracks (default: `metric`). */
  tideMetric?: TideMetric;
  /**
   * Give Tide's default policy the replicas' boot time (`replicaBootSeconds`): it then scales out only for
   * demand that lasts that long and skips burst mode; cheaper, slower to react. Default off.
   */
  tideBootAware?: boolean;
  /**
   * Tide's default policy buys at a scale-out for the demand a boot ahead (`lookAhead`, horizon the median
   * boot): default on; false gives the policy without it.
   */
  tideLookAhead?: boolean;
  /**
   * With the look-ahead, a scale-in goes no lower than the highest demand of its horizon (`lookAhead.keepThroughLull`:
   * keep a replica through a lull shorter than a boot). Default off: see docs/simulator.md.
   */
  tideKeepThroughLull?: boolean;
  /**
   * With the keep through a lull, keep only the part of the horizon's peak that noise does not explain: the peak
   * less this many standard deviations of one demand point's noise (`lookAhead.keepAboveNoise`). Implies
   * `tideKeepThroughLull`. Default: none (the raw peak).
   */
  tideKeepAboveNoise?: number;
  /**
   * Tide's default policy sizes by an Erlang C model of its offered-load metric (`targetTracking[].queueing`): the
   * replicas' slots, the trace's mean service time, a wait of the SLO less the mean prefill, at most 1 % of
   * requests waiting longer. Default off: see docs/simulator.md. Offered load only.
   */
  tideQueueing?: boolean;
  /**
   * Tide's default policy learns a daily profile of its demand and holds a floor of its forecast a lead (the
   * look-ahead's horizon, the median boot) ahead (`predictive.mode: 'forecast-and-scale'`). Default off: see
   * docs/simulator.md, "A learned daily profile".
   */
  tidePredictive?: boolean;
  /**
   * Spot runs: settings merged into the `spot` section of Tide's default policy (`spot.poolLossReserve`,
   * `spot.onePoolOnDemandShare` …), for sweeps of the pool-loss cover (`npm run sweep:spot-inference`).
   */
  tideSpot?: Record<string, unknown>;
  only?: readonly AutoscalerName[];
  /** Called with each of Tide's decisions in its run (not the all-on-demand one of a spot run), for tracing. */
  onTideDecision?: TideAutoscalerOptions['onDecision'];
  /** Also replay constant capacities 1 … static-peak's size (`frontier` in the report). Default off. */
  frontier?: boolean;
  onProgress?: (run: string, index: number, count: number, doneSeconds: number, totalSeconds: number) => void;
}

/**
 * The queueing model a user of this endpoint would measure (`--tide-queueing`): the replica's slots, the mean
 * service time of the workload's requests (SageMaker's `ModelLatency`), and the wait the SLO leaves after the
 * mean prefill; at most 1 % of requests may wait longer (a p99 SLO).
 */
export function queueingModel(trace: Trace, settings: SimulationSettings) {
  let service = 0;
  let prefill = 0;
  for (const request of trace.requests) {
    service += serviceSeconds(settings.model, request);
    prefill += prefillSeconds(settings.model, request);
  }
  const count = Math.max(1, trace.requests.length);
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    slotsPerReplica: slotsPerReplica(settings),
    serviceSeconds: Math.max(0.001, round(service / count)),
    maxWaitSeconds: Math.max(0, round(settings.sloMs / 1000 - prefill / count)),
    waitProbability: 0.01,
  };
}

/** One comparison: the settings, the workload's shape, and one result per autoscaler. */
export interface ComparisonReport {
  workload: {
    name: string;
    requests: number;
    durationSeconds: number;
    peakReplicas: number;
    initialReplicas: number;
    neededPerMinute: number[];
    /** Replica-hours of pure service time at full slots: a floor under any autoscaler's GPU-hours (see engine). */
    workReplicaHours: number;
    /** `workReplicaHours` at the run's price: no autoscaler on this instance type can cost less. */
    workFloorUsd: number;
    /** The busiest minute's offered load ÷ the mean minute's: what static provisioning pays for. */
    peakToMean: number;
  };
  settings: SimulationSettings & {
    targetPerReplica: number;
    tideDelivery: TideDelivery;
    tideMetric: TideMetric;
    tidePolicy: Policy;
    baselineSchedules: boolean;
  };
  runs: RunResult[];
  /** With `frontier`: constant capacities `fixed-1` … `fixed-<peak>` on the same cloud. */
  frontier?: RunResult[];
  /** The hindsight oracle, its bar the best baseline's SLO share (absent with `oracle: false`). */
  oracle?: OracleResult;
  /** Spot runs: Tide on spot against the same policy all on-demand (issue 17, section 5). */
  spot?: SpotComparison;
}

/**
 * Replay one trace through Tide and every baseline on identical clouds (same seed, same boot delays, same
 * prices, same serving model) and collect the results.
 */
export async function runComparison(options: ComparisonOptions): Promise<ComparisonReport> {
  const instanceType = options.instanceType ?? 'ml.g5.2xlarge';
  const base = {
    model: DEFAULT_SERVING_MODEL,
    instanceType,
    targetUtilization: options.targetUtilization ?? 0.7,
  };
  const workload: Workload = prepareWorkload(options.trace, base);
  const settings: SimulationSettings = {
    ...base,
    seed: options.seed ?? 1,
    sloMs: options.sloMs ?? DEFAULT_SLO_MS,
    capacityType: options.capacityType ?? 'on-demand',
    bootSeconds: { default: options.bootSeconds ?? DEFAULT_BOOT_SECONDS },
    ...(options.fixedBoot ? {} : { bootSpread: DEFAULT_BOOT_SPREAD }),
    ...(options.capacityType !== 'spot' && options.refuseWhileUpdating !== false ? { refuseWhileUpdating: true } : {}),
    minReplicas: 1,
    warmupSeconds: 300,
    metric: options.metric ?? 'in-flight',
    // Room to grow: three times the peak, at least 10 (the policy schema's default maximum).
    maxReplicas: Math.max(10, workload.peakReplicas * 3),
    ...(options.capacityType === 'spot' ? { spotMarket: DEFAULT_SPOT_MARKET } : {}),
  };
  // Tide reads offered load by default (issue 17: do not buy for a backlog), aiming at TIDE_OFFERED_UTILIZATION
  // of the slots; on the in-flight metric it aims where every baseline does.
  const tideMetric = options.tideMetric ?? 'offered';
  const tideTarget =
    Math.round(
      targetPerReplica({
        ...settings,
        targetUtilization:
          options.tideTargetUtilization ??
          (tideMetric === 'offered' ? TIDE_OFFERED_UTILIZATION : settings.targetUtilization),
      }) * 100,
    ) / 100;
  const policyDocument = options.policy ?? {
    // With `tideBootAware`, the boot time a user of this endpoint knows (525 s unless --boot-seconds).
    ...defaultTidePolicy(
      tideTarget,
      settings.minReplicas,
      settings.maxReplicas,
      tideMetric,
      options.tideBootAware ? (settings.bootSeconds.default ?? DEFAULT_BOOT_SECONDS) : null,
      settings.capacityType === 'spot',
      options.tideLookAhead === false ? null : (settings.bootSeconds.default ?? DEFAULT_BOOT_SECONDS),
      options.tideKeepThroughLull === true || options.tideKeepAboveNoise !== undefined,
      options.tideKeepAboveNoise ?? null,
    ),
    schedules: options.plans ?? [],
  };
  if (options.tideSpot && options.policy === undefined && settings.capacityType === 'spot') {
    const document = policyDocument as PolicyInput;
    document.spot = { ...document.spot, ...options.tideSpot } as PolicyInput['spot'];
  }
  if (options.tideQueueing && options.policy === undefined && tideMetric === 'offered')
    (policyDocument as PolicyInput).targetTracking![0]!.queueing = queueingModel(options.trace, settings);
  if (options.tidePredictive && options.policy === undefined)
    (policyDocument as PolicyInput).predictive = { mode: 'forecast-and-scale' };
  const policy = parseTidePolicy(policyDocument);
  // On spot, Tide's target also lists an on-demand pool of the same type: its spot strategy replaces
  // reclaimed replicas there and returns to spot later. The baselines scale one node group, as they do.
  const fallback =
    settings.capacityType === 'spot'
      ? [
          ...spotPoolIds(options.spotPools ?? 2)
            .slice(1)
            .map((id) => ({ id, instanceType, capacityType: 'spot' as const })),
          { id: FALLBACK_POOL_ID, instanceType, capacityType: 'on-demand' as const },
        ]
      : [];
  const target: Target = {
    id: 'simulated-endpoint',
    kind: 'inference-endpoint',
    provider: 'simulated',
    pools: [{ id: POOL_ID, instanceType, capacityType: settings.capacityType }, ...fallback],
  };
  const planFloors = floorsFromPlans(policy.schedules, options.trace.startAt, options.trace.endAt + 3_600_000);
  const floors = options.baselineSchedules === false ? [] : planFloors;
  const factories: Record<AutoscalerName, Parameters<typeof simulateRun>[2]> = {
    tide: (cloud) =>
      tideAutoscaler({
        policy,
        target,
        actuator: cloud,
        metric: tideMetric,
        ...(options.delivery ? { delivery: options.delivery } : {}),
        scheduleTickSeconds: policy.schedules.length > 0 ? 60 : 0,
        ...(options.onTideDecision ? { onDecision: options.onTideDecision } : {}),
      }),
    'static-peak': (): Autoscaler => staticPeak(),
    hpa: () => hpa(),
    'aws-target-tracking': () => awsTargetTracking({ scheduledFloors: floors }),
    'aws-target-tracking-1m': () => awsTargetTracking({ ...TARGET_TRACKING_STANDARD, scheduledFloors: floors }),
    'aws-target-tracking-plan-less': () => awsTargetTracking({ name: 'aws-target-tracking-plan-less' }),
    keda: () => keda(floors),
    'keda-cached': () => keda(floors, { useCachedMetrics: true }),
    'keda-plan-less': () => keda([], { name: 'keda-plan-less' }),
    'knative-kpa': () => knativeKpa(),
  };
  const names = (options.only ?? AUTOSCALER_NAMES).filter(
    (name) => floors.length > 0 || !PLAN_LESS.includes(name) || options.only?.includes(name),
  );
  const runs: RunResult[] = [];
  for (const [index, name] of names.entries()) {
    runs.push(
      await simulateRun(workload, settings, factories[name], {
        static: name === 'static-peak',
        ...(name === 'tide' && fallback.length > 0 ? { extraPools: fallback, replaceReclaimed: false } : {}),
        onProgress: (done, total) => options.onProgress?.(name, index, names.length, done, total),
      }),
    );
  }
  // Issue 17 section 5: Tide's spot run against the same policy buying only on-demand (the all-on-demand
  // run), on the same workload, boots and seed.
  let spot: SpotComparison | undefined;
  const tideSpot = runs.find((run) => run.name === 'tide');
  if (settings.capacityType === 'spot' && tideSpot) {
    const onDemandSettings: SimulationSettings = { ...settings, capacityType: 'on-demand' };
    delete onDemandSettings.spotMarket;
    const onDemandTarget: Target = { ...target, pools: [{ id: POOL_ID, instanceType, capacityType: 'on-demand' }] };
    const onDemand = await simulateRun(workload, onDemandSettings, (cloud) =>
      tideAutoscaler({
        policy,
        target: onDemandTarget,
        actuator: cloud,
        metric: tideMetric,
        ...(options.delivery ? { delivery: options.delivery } : {}),
        scheduleTickSeconds: policy.schedules.length > 0 ? 60 : 0,
      }),
    );
    spot = checkSpotGoal(tideSpot, onDemand);
  }
  const frontier: RunResult[] = [];
  if (options.frontier) {
    for (let replicas = 1; replicas <= workload.peakReplicas; replicas++) {
      frontier.push(
        await simulateRun(workload, settings, () => fixedCapacity(replicas), { static: true, fixedReplicas: replicas }),
      );
    }
  }
  const price = instancePricing(instanceType, settings.capacityType).usdPerHour;
  let oracle: OracleResult | undefined;
  if (options.oracle !== false) {
    const { runs: _replays, ...result } = await runOracle(workload, settings, bestBaseline(runs)?.sloViolationShare);
    oracle = result;
  }
  let peakOffered = 0;
  let totalOffered = 0;
  for (const offered of workload.offeredPerMinute) {
    peakOffered = Math.max(peakOffered, offered);
    totalOffered += offered;
  }
  const meanOffered = totalOffered / Math.max(1, workload.offeredPerMinute.length);
  return {
    workload: {
      name: options.trace.name,
      requests: options.trace.requests.length,
      durationSeconds: workload.durationSeconds,
      peakReplicas: workload.peakReplicas,
      initialReplicas: workload.initialReplicas,
      neededPerMinute: workload.neededPerMinute,
      workReplicaHours: Math.round(workload.workReplicaHours * 1000) / 1000,
      workFloorUsd: Math.round(workload.workReplicaHours * price * 100) / 100,
      peakToMean: meanOffered > 0 ? Math.round((peakOffered / meanOffered) * 100) / 100 : 0,
    },
    settings: {
      ...settings,
      targetPerReplica: targetPerReplica(settings),
      tideDelivery: options.delivery ?? TIDE_DELIVERY_DEFAULTS,
      tideMetric,
      tidePolicy: policy,
      baselineSchedules: floors.length > 0,
    },
    runs,
    ...(options.frontier ? { frontier } : {}),
    ...(oracle ? { oracle } : {}),
    ...(spot ? { spot } : {}),
  };
}
