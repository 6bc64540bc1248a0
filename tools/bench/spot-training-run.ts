/**
 * One seeded week of the spot bench: training jobs back to back on a p3.2xlarge training pool, the real
 * core (`decide`) deciding, the shell's reconciler acting on the project's simulated cloud
 * (adapters/fake-cloud: the calibrated spot market, boot delays, notices, billing). This file is the world
 * around them: the job scheduler (which node runs the job, its progress, checkpoints being written) and the
 * signals a deployment would receive (spot notices, job events, schedule ticks every minute).
 *
 * Assumptions (not from the trace): a node takes 240 s to boot; a job takes 120 s to load before it
 * progresses; a checkpoint takes a log-normal time with median 50 s (sigma 0.5, about 4 % over 120 s).
 */
import { decide } from '../../core/decide.ts';
import {
  DecisionInputSchema,
  type DecisionInput,
  PolicySchema,
  type Memory,
  type PolicyInput,
  type SignalInput,
} from '../../core/index.ts';
import { SimulatedCloud, type CloudEvent } from '../../adapters/fake-cloud/cloud.ts';
import { createRandom } from '../../adapters/fake-cloud/random.ts';
import { reconcile } from '../../functions/shell/reconciler.ts';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const T0 = Date.parse('2026-03-02T00:00:00Z');
export const BOOT_MS = 240_000;
export const RESTORE_MS = 120_000;
const TICK_MS = 60_000;
export const TYPE = 'p3.2xlarge';

/** The id of the spot pool in zone `z` (one spot market per pool, so per zone). */
export const spotPoolId = (zone: number) => `p3-spot-${zone}`;

interface Job {
  id: string;
  /** Due by (epoch ms); undefined = no deadline. */
  deadlineAt?: number;
  needMs: number;
  /** Work lost to preemptions (checkpoint not written before the node went), ms. */
  lostMs: number;
  progressMs: number;
  savedMs: number;
  /** Progress when the checkpoint being written was started. */
  writingMs?: number;
  /** When the checkpoint being written was started: what it holds is the progress at that time. */
  writingAt?: number;
  node?: string;
  /** When progress (re)starts counting on the node, after boot-up load. */
  runningFrom?: number;
  paused: boolean;
  version: number;
}

type Event =
  | { at: number; seq: number; kind: 'tick' }
  | { at: number; seq: number; kind: 'capacity-error'; poolId: string }
  | { at: number; seq: number; kind: 'checkpoint-done'; job: string; version: number; node: string }
  | { at: number; seq: number; kind: 'job-finish'; job: string; version: number };
type EventInput = Event extends infer E ? (E extends Event ? Omit<E, 'seq'> : never) : never;

/** What one week came to. */
export interface TrainingRunResult {
  costUsd: number;
  lostGpuHours: number;
  usefulGpuHours: number;
  spotHours: number;
  onDemandHours: number;
  interruptions: number;
  checkpointsRequested: number;
  checkpointsAcknowledged: number;
  jobsFinished: number;
  /** Jobs that loaded on a node at least once (each pays the load time once on all on-demand). */
  jobsStarted: number;
  deadlinesMet: number;
  deadlinesMissed: number;
  /** Missed deadlines of jobs that lost work (over a minute) to a preemption whose checkpoint did not finish in time. */
  deadlinesMissedAfterLostWork: number;
  /** Latest finish after a deadline, minutes (0: none late). */
  maxLateMinutes: number;
  decisions: number;
  coreAccountedLostGpuHours: number;
}

/** Run one week; `seed` seeds the cloud's spot markets and the checkpoint write times. */
export async function runTrainingWeek(options: {
  seed: number;
  zones: number;
  horizon: number;
  jobMs: number;
  slackPercent: number;
  policy: PolicyInput;
  /** Told every decide() input as it is made (the decide bench records a week of them). */
  onInput?: (input: DecisionInput) => void;
}): Promise<TrainingRunResult> {
  const random = createRandom(options.seed).fork('checkpoints');
  const end = T0 + options.horizon;
  const policy = PolicySchema.parse(options.policy);
  const pools = [
    ...Array.from({ length: options.zones }, (_, z) => ({
      id: spotPoolId(z),
      instanceType: TYPE,
      capacityType: 'spot' as const,
      zone: `us-west-2${'bacd'[z]}`,
    })),
    { id: 'p3-od', instanceType: TYPE, capacityType: 'on-demand' as const },
  ];
  const target = {
    id: 'train-pool',
    kind: 'training-pool' as const,
    provider: 'aws' as const,
    region: 'us-west-2',
    pools,
  };
  // An EC2 Fleet per pool, the core replacing what is reclaimed: nothing comes back on its own.
  const cloud = new SimulatedCloud({
    targetId: target.id,
    pools: pools.map(({ id, instanceType, capacityType }) => ({ id, instanceType, capacityType })),
    startAt: T0,
    seed: options.seed,
    bootSeconds: { default: BOOT_MS / 1000 },
    replaceReclaimed: false,
    retryShortPools: false,
  });
  const result: TrainingRunResult = {
    costUsd: 0,
    lostGpuHours: 0,
    usefulGpuHours: 0,
    spotHours: 0,
    onDemandHours: 0,
    interruptions: 0,
    checkpointsRequested: 0,
    checkpointsAcknowledged: 0,
    jobsFinished: 0,
    jobsStarted: 0,
    deadlinesMet: 0,
    deadlinesMissed: 0,
    deadlinesMissedAfterLostWork: 0,
    maxLateMinutes: 0,
    decisions: 0,
    coreAccountedLostGpuHours: 0,
  };
  let memory: Memory | undefined;
  let seq = 0;
  let jobSeq = 0;
  const events: Event[] = [];
  const push = (event: EventInput) => {
    const full = { ...event, seq: seq++ } as Event;
    let i = events.length;
    while (i > 0 && (events[i - 1]!.at > full.at || (events[i - 1]!.at === full.at && events[i - 1]!.seq > full.seq)))
      i -= 1;
    events.splice(i, 0, full);
  };

  const newJob = (now: number): Job => ({
    id: `job-${++jobSeq}`,
    ...(options.slackPercent > 0
      ? { deadlineAt: now + Math.round(options.jobMs * (1 + options.slackPercent / 100)) }
      : {}),
    needMs: options.jobMs,
    lostMs: 0,
    progressMs: 0,
    savedMs: 0,
    paused: false,
    version: 0,
  });
  const queued = (now: number): SignalInput => ({
    kind: 'job',
    event: 'queued',
    jobId: job.id,
    gpusPerNode: 1,
    nodeCount: 1,
    priority: 0,
    runSeconds: job.needMs / 1000,
    ...(job.deadlineAt !== undefined ? { deadlineAt: job.deadlineAt } : {}),
    observedAt: now,
    source: 'bench',
  });
  const started = new Set<string>();
  let job: Job = newJob(T0);
  const advance = (now: number) => {
    if (job.node && !job.paused && job.runningFrom !== undefined && now > job.runningFrom) {
      job.progressMs += now - job.runningFrom;
      job.runningFrom = now;
    }
  };
  /** The job's node went (reclaimed, or released by Tide): progress since the last checkpoint is lost. */
  const loseNode = async (now: number) => {
    advance(now);
    result.lostGpuHours += (job.progressMs - job.savedMs) / HOUR;
    job.lostMs += job.progressMs - job.savedMs;
    job.progressMs = job.savedMs;
    job.node = undefined;
    job.runningFrom = undefined;
    job.writingMs = undefined;
    job.writingAt = undefined;
    job.paused = false;
    job.version += 1;
    await send({ kind: 'job', event: 'preempted', jobId: job.id, observedAt: now, source: 'bench' }, now);
  };

  /** What the cloud reports, with the job scheduler's knowledge of which node runs the job. */
  const observe = async () => {
    const observed = await cloud.readCapacity(target.id);
    for (const pool of observed.pools)
      for (const node of pool.nodes ?? []) if (node.id === job.node) node.jobId = job.id;
    return observed;
  };

  /** The job scheduler starts writing a checkpoint Tide asked for (training pauses meanwhile). */
  const startCheckpoint = (jobId: string, now: number) => {
    result.checkpointsRequested += 1;
    if (job.id !== jobId || !job.node || job.paused) return; // not running, or already writing one
    advance(now);
    job.paused = true;
    job.writingMs = job.progressMs;
    job.writingAt = now;
    job.runningFrom = undefined;
    job.version += 1;
    const write = Math.round(random.logNormal(50, 0.5) * 1000);
    push({ at: now + write, kind: 'checkpoint-done', job: job.id, version: job.version, node: job.node });
  };

  const send = async (signal: SignalInput, now: number): Promise<void> => {
    const input = DecisionInputSchema.parse({
      now,
      signal,
      target,
      policy,
      observed: await observe(),
      ...(memory ? { memory } : {}),
    });
    options.onInput?.(input);
    const decision = decide(input);
    result.decisions += 1;
    if (process.env.SPOT_BENCH_TRACE && (decision.actions.length > 0 || signal.kind !== 'schedule-tick')) {
      console.error(
        `${((now - T0) / MIN).toFixed(1)} min ${signal.kind}${'event' in signal ? ` ${signal.event}` : ''}: ${decision.reasons.filter((r) => !r.startsWith('estimated spend')).join(' | ')}`,
      );
    }
    memory = decision.memory;
    const checkpointsBefore = cloud.checkpoints.length;
    // Through the shell's reconciler, like production: a capacity error comes back as a signal, which the
    // EC2 API's answer delivers a second later.
    const reconciliation = await reconcile(decision, cloud, { now, source: 'bench' });
    if (reconciliation.error !== undefined && reconciliation.signals.length === 0) throw reconciliation.error;
    for (const error of reconciliation.signals)
      if (error.kind === 'capacity-error') push({ at: now + 1000, kind: 'capacity-error', poolId: error.poolId });
    for (const request of cloud.checkpoints.slice(checkpointsBefore)) startCheckpoint(request.jobId, now);
    if (job.node && !cloud.hasNode(job.node)) await loseNode(now); // Tide released the job's node
  };

  const onCloudEvent = async (event: CloudEvent, now: number) => {
    if (event.kind === 'spot-notice') {
      result.interruptions += 1;
      await send(
        {
          kind: 'spot-interruption',
          instanceId: event.instanceId,
          poolId: event.poolId,
          deadlineAt: event.deadlineAt,
          observedAt: now,
          source: 'bench',
        },
        now,
      );
    } else if (event.kind === 'interrupted' && event.instanceId === job.node) await loseNode(now);
  };

  const schedule = async (now: number): Promise<void> => {
    // The job scheduler (Ray, SageMaker, ...): start the waiting job on a free ready node.
    if (job.node) return;
    const free = (await cloud.readCapacity(target.id)).pools
      .flatMap((pool) => pool.nodes ?? [])
      .find((node) => node.state === 'ready');
    if (!free) return;
    job.node = free.id;
    cloud.protect(free.id, true); // lowering the pool's count must not take the node running the job
    job.paused = false;
    job.runningFrom = now + RESTORE_MS;
    job.version += 1;
    started.add(job.id);
    push({
      at: job.runningFrom + (job.needMs - job.progressMs),
      kind: 'job-finish',
      job: job.id,
      version: job.version,
    });
    await send(
      {
        kind: 'job',
        event: 'started',
        jobId: job.id,
        instanceIds: [free.id],
        gpusPerNode: 1,
        nodeCount: 1,
        observedAt: now,
        source: 'bench',
      },
      now,
    );
  };

  for (let t = T0; t < end; t += TICK_MS) push({ at: t, kind: 'tick' });
  await send(queued(T0), T0);

  for (;;) {
    const benchAt = events[0]?.at ?? Infinity;
    const now = Math.min(benchAt, cloud.nextEventAt(end));
    if (now >= end) break;
    for (const event of cloud.advanceTo(now)) await onCloudEvent(event, now);
    if (benchAt <= now) await onBenchEvent(events.shift()!, now);
    await schedule(now);
  }

  async function onBenchEvent(event: Event, now: number): Promise<void> {
    switch (event.kind) {
      case 'tick':
        await send({ kind: 'schedule-tick', observedAt: now, source: 'bench' }, now);
        break;
      case 'capacity-error':
        await send(
          {
            kind: 'capacity-error',
            poolId: event.poolId,
            capacityType: 'spot',
            code: 'InsufficientInstanceCapacity',
            observedAt: now,
            source: 'bench',
          },
          now,
        );
        break;
      case 'checkpoint-done':
        if (event.version !== job.version || job.node !== event.node || !cloud.hasNode(event.node)) break;
        job.savedMs = job.writingMs ?? job.progressMs;
        job.paused = false;
        job.runningFrom = Math.max(now, job.runningFrom ?? now);
        job.version += 1;
        push({
          at: job.runningFrom + (job.needMs - job.progressMs),
          kind: 'job-finish',
          job: job.id,
          version: job.version,
        });
        result.checkpointsAcknowledged += 1;
        await send(
          {
            kind: 'job',
            event: 'checkpoint-acknowledged',
            jobId: job.id,
            checkpointAt: job.writingAt ?? now,
            observedAt: now,
            source: 'bench',
          },
          now,
        );
        break;
      case 'job-finish': {
        if (event.version !== job.version || !job.node) break;
        advance(now);
        cloud.protect(job.node, false);
        result.usefulGpuHours += job.needMs / HOUR;
        result.jobsFinished += 1;
        if (job.deadlineAt !== undefined) {
          if (now > job.deadlineAt) {
            result.deadlinesMissed += 1;
            if (job.lostMs > MIN) result.deadlinesMissedAfterLostWork += 1;
            result.maxLateMinutes = Math.max(result.maxLateMinutes, (now - job.deadlineAt) / MIN);
          } else result.deadlinesMet += 1;
        }
        await send({ kind: 'job', event: 'finished', jobId: job.id, observedAt: now, source: 'bench' }, now);
        job = newJob(now);
        await send(queued(now), now);
        break;
      }
    }
  }

  cloud.advanceTo(end);
  advance(end);
  result.usefulGpuHours += job.progressMs / HOUR; // the unfinished job's progress counts as useful work
  // An unfinished job already past its deadline at the end of the week is a miss; one due later is not counted.
  if (job.deadlineAt !== undefined && job.deadlineAt < end) {
    result.deadlinesMissed += 1;
    if (job.lostMs > MIN) result.deadlinesMissedAfterLostWork += 1;
    result.maxLateMinutes = Math.max(result.maxLateMinutes, (end - job.deadlineAt) / MIN);
  }
  result.jobsStarted = started.size;
  result.costUsd = cloud.costUsd();
  result.spotHours = cloud.nodeHours('spot');
  result.onDemandHours = cloud.nodeHours('on-demand');
  result.coreAccountedLostGpuHours = memory?.ml.lostGpuHours ?? 0;
  return result;
}
