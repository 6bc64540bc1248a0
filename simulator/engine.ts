import { SimulatedCloud, type SimulatedCloudOptions, type SimulatedPoolSpec } from '../adapters/fake-cloud/cloud.ts';
import { instancePricing } from '../adapters/fake-cloud/prices.ts';
import type { Autoscaler, AutoscalerContext } from './autoscaler.ts';
import { MetricHistory } from './metrics.ts';
import { summarize, type RunResult, type RunSeries } from './results.ts';
import { DEFAULT_SERVING_MODEL, ServingQueue, serviceSeconds } from './serving.ts';
import type { SimulationSettings, Workload } from './settings.ts';
import type { Trace } from './trace.ts';

export type { SimulationSettings, Workload } from './settings.ts';

/** Request slots of one replica of `instanceType`. */
export function slotsPerReplica(settings: Pick<SimulationSettings, 'model' | 'instanceType'>): number {
  return settings.model.concurrencyPerGpu * instancePricing(settings.instanceType, 'on-demand').gpus;
}

/** Target requests in flight per replica: slots × target utilization (8 × 0.7 = 5.6 by default). */
export function targetPerReplica(settings: SimulationSettings): number {
  return slotsPerReplica(settings) * settings.targetUtilization;
}

/** Work out a trace's demand once (see {@link Workload}). */
export function prepareWorkload(
  trace: Trace,
  settings: Pick<SimulationSettings, 'model' | 'instanceType' | 'targetUtilization'>,
): Workload {
  const durationSeconds = Math.max(60, Math.ceil((trace.endAt - trace.startAt) / 1000) + 1);
  const minutes = Math.ceil(durationSeconds / 60);
  const work = new Array<number>(minutes).fill(0);
  for (const request of trace.requests) {
    const minute = Math.min(minutes - 1, Math.floor((request.arrivalAt - trace.startAt) / 60_000));
    work[minute]! += serviceSeconds(settings.model ?? DEFAULT_SERVING_MODEL, request);
  }
  const slots = slotsPerReplica(settings);
  const offeredPerMinute = work.map((seconds) => seconds / 60);
  const neededPerMinute = offeredPerMinute.map((offered) => Math.max(1, Math.ceil(offered / slots)));
  const perReplica = slots * settings.targetUtilization;
  // A loop, not Math.max(...list): a spread of a long trace's minutes overflows the stack (90 days did).
  let peak = 0;
  let initial = 0;
  offeredPerMinute.forEach((offered, minute) => {
    peak = Math.max(peak, offered);
    if (minute < 10) initial = Math.max(initial, offered);
  });
  const peakReplicas = Math.max(1, Math.ceil(peak / perReplica));
  const initialReplicas = Math.max(1, Math.ceil(initial / perReplica));
  const workReplicaHours = work.reduce((sum, seconds) => sum + seconds, 0) / slots / 3600;
  return { trace, durationSeconds, neededPerMinute, offeredPerMinute, peakReplicas, initialReplicas, workReplicaHours };
}

/** How a run reports progress: seconds simulated so far out of the total. */
export type ProgressCallback = (doneSeconds: number, totalSeconds: number) => void;

/** Builds the autoscaler for one run once the run's cloud exists (Tide acts through it). */
export type AutoscalerFactory = (cloud: SimulatedCloud) => Autoscaler;

/** Id of the pool every autoscaler scales (Tide's spot runs add `fallback`). */
export const POOL_ID = 'primary';

/**
 * Replay the workload through one autoscaler, second by second. Each second: the cloud's clock moves
 * (boots finish, spot notices, reclaims), the autoscaler is told about cloud events and takes its step
 * with the metrics recorded so far, then the endpoint serves that second's requests with the replicas
 * ready at its start. Requests still waiting at the end are served with the last capacity (not billed).
 */
export async function simulateRun(
  workload: Workload,
  settings: SimulationSettings,
  makeAutoscaler: AutoscalerFactory,
  options: {
    static?: boolean;
    /** With `static`: hold this many replicas instead of the peak size (the constant-capacity frontier). */
    fixedReplicas?: number;
    onProgress?: ProgressCallback;
    /** Extra pools the autoscaler may use besides the primary one (Tide's on-demand fallback on spot). */
    extraPools?: SimulatedPoolSpec[];
    /** See {@link SimulatedCloudOptions.replaceReclaimed}. */
    replaceReclaimed?: boolean;
    /** Replicas ready at the start instead of the workload's `initialReplicas` (the oracle's plan). */
    initialReplicas?: number;
    /** Step the autoscaler from this second instead of `settings.warmupSeconds` (the oracle: 0). */
    stepFromSecond?: number;
    /** Resizes are never refused in this run, whatever `settings.refuseWhileUpdating` says (the oracle). */
    neverRefused?: boolean;
  } = {},
): Promise<RunResult> {
  const { trace, durationSeconds } = workload;
  const initial = options.static
    ? (options.fixedReplicas ?? workload.peakReplicas)
    : (options.initialReplicas ?? workload.initialReplicas);
  const stepFrom = options.stepFromSecond ?? settings.warmupSeconds;
  const cloudOptions: SimulatedCloudOptions = {
    targetId: 'simulated-endpoint',
    pools: [
      { id: POOL_ID, instanceType: settings.instanceType, capacityType: settings.capacityType },
      ...(options.extraPools ?? []),
    ],
    ...(options.replaceReclaimed !== undefined ? { replaceReclaimed: options.replaceReclaimed } : {}),
    startAt: trace.startAt,
    seed: settings.seed,
    bootSeconds: settings.bootSeconds,
    ...(settings.bootSpread ? { bootSpread: settings.bootSpread } : {}),
    initial: { [POOL_ID]: initial },
    ...(settings.spotMarket ? { spotMarket: settings.spotMarket } : {}),
    ...(settings.refuseWhileUpdating && !options.neverRefused ? { refuseWhileUpdating: true } : {}),
  };
  const cloud = new SimulatedCloud(cloudOptions);
  const autoscaler = makeAutoscaler(cloud);
  const queue = new ServingQueue(trace.requests, trace.startAt, settings.model);
  const metrics = new MetricHistory(durationSeconds, settings.metric ?? 'in-flight');
  const series: RunSeries = { ready: new Float64Array(durationSeconds), desired: new Float64Array(durationSeconds) };
  const slotsByType = new Map<string, number>();
  const slotsOf = (instanceType: string) => {
    let slots = slotsByType.get(instanceType);
    if (slots === undefined) {
      slots = settings.model.concurrencyPerGpu * instancePricing(instanceType, 'on-demand').gpus;
      slotsByType.set(instanceType, slots);
    }
    return slots;
  };
  let scalingActions = 0;
  let slots = 0;
  let preemptedReplicas = 0;
  let requestsOnPreempted = 0;
  const target = targetPerReplica(settings);
  for (let second = 0; second < durationSeconds; second++) {
    const nowMs = trace.startAt + second * 1000;
    const events = cloud.advanceTo(nowMs);
    for (const event of events) {
      if (event.kind !== 'interrupted') continue;
      // A reclaimed replica takes the requests it was serving: the serving model pools every slot, so
      // that is the requests in service times the replica's share of the slots (at most its own slots).
      preemptedReplicas++;
      const own = slotsOf(settings.instanceType);
      if (slots > 0) requestsOnPreempted += Math.min(own, (queue.inService * own) / slots);
    }
    const readyNodes = cloud.readyNodes();
    const context: AutoscalerContext = {
      now: second,
      nowMs,
      metrics,
      cloud,
      poolId: POOL_ID,
      targetPerReplica: target,
      minReplicas: settings.minReplicas,
      maxReplicas: settings.maxReplicas,
      ready: readyNodes.length,
      desired: cloud.totalDesired(),
    };
    for (const event of events) await autoscaler.notify?.(event, context);
    const before = cloud.totalDesired();
    if (!options.static && second >= stepFrom) {
      // Await only a promise: most baselines step synchronously, and a week is 604,800 steps per run.
      const stepped = autoscaler.step(context);
      if (stepped) await stepped;
    }
    if (cloud.totalDesired() !== before) scalingActions++;
    slots = 0;
    for (const node of readyNodes) slots += slotsOf(node.instanceType);
    const concurrency = queue.advance(second + 1, slots);
    metrics.record(concurrency, readyNodes.length, queue.lastOfferedWork);
    series.ready[second] = readyNodes.length;
    series.desired[second] = cloud.totalDesired();
    if (options.onProgress && second % 600 === 0) options.onProgress(second, durationSeconds);
  }
  const costUsd = cloud.costUsd();
  const gpuHours = cloud.gpuSeconds() / 3600;
  // Serve what is left with the last capacity (at least one replica), for up to an hour, then censor.
  const drainSlots = Math.max(slots, slotsOf(settings.instanceType));
  queue.advance(durationSeconds + 3600, drainSlots);
  queue.censorUnstarted(durationSeconds + 3600);
  options.onProgress?.(durationSeconds, durationSeconds);
  const result = summarize({
    name: autoscaler.name,
    workload,
    settings,
    queue,
    series,
    costUsd,
    gpuHours,
    scalingActions,
  });
  return settings.capacityType === 'spot'
    ? { ...result, preemptedReplicas, requestsOnPreemptedReplicas: Math.round(requestsOnPreempted) }
    : result;
}
