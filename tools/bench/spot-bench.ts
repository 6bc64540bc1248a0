/**
 * `npm run bench:spot -- --json [--seed N] [--runs R] [--zones N] [--mode fallback|wait] [--slack P] [--hours H] [--job-hours J]`
 * (`--runs R`: seeds N to N+R-1, with a `summary` of means, minima and maxima; the top level is seed N.)
 * `--slack P` (default 50): each job is due P % after its length from when it is queued (50: a 6-hour job is
 * due within 9 hours), and Tide waits for spot while the deadline leaves slack (deadline-aware fallback);
 * `--slack 0`: no deadline, so the immediate on-demand fallback of `--mode fallback`. Deadlines are an input a
 * user gives; the bench counts every job that finishes after its deadline (or is unfinished past it) as missed.
 *
 * A seeded one-week simulation of spot interruptions for a training pool, driven through the real core
 * (`decide`, with its spot, checkpoint and training strategies). The spot market follows the published
 * p3.2xlarge trace figures (skypilot-org/spot-traces, us-west-2b, ~177 h from 2023-04-22; see
 * ../shared/data/SOURCES.md): obtainable 79.3 % of the time, 45 outages, median outage 25.6 min, median
 * uninterrupted run 68.3 min, 2-minute warning. Runs and outages are drawn from log-normal distributions
 * with those medians, capped at the trace's longest (run 1,338 min, outage 291.7 min), with sigmas solved so
 * the capped means give 79.3 % availability and 45 outages per 177 h (mean run 187.1 min, mean outage
 * 48.9 min). All randomness is here, seeded; the core has none.
 *
 * Workload: training jobs of `--job-hours` GPU-hours on one p3.2xlarge (1 x V100) each, back to back for
 * the whole week. Compared with:
 *  - all on-demand, the same work: the useful GPU-hours Tide got done plus the same 120 s load per job, at
 *    the on-demand price (`onDemandCostUsd`, the headline). Also given: one on-demand node for the whole week
 *    (`onDemandWeekCostUsd`), which does more work than Tide when Tide waits for spot;
 *  - restart from scratch (SkyPilot managed jobs without application checkpoints): the same market, the
 *    same core managing capacity, but the job cannot checkpoint, so an interruption loses all its progress.
 * Assumptions (not from the trace): a node takes 240 s to boot; a job takes 120 s to load before it
 * progresses; a checkpoint takes a log-normal time with median 50 s (sigma 0.5, about 4 % over 120 s).
 */
import { parseArgs } from 'node:util';
import { decide } from '../../core/decide.ts';
import {
  InsufficientCapacityError,
  NodeNotFoundError,
  PoolNotFoundError,
  type ActuatorPort,
} from '../../adapters/ports/actuator.ts';
import { reconcile } from '../../functions/shell/reconciler.ts';
import { lookupInstanceType } from '../../core/catalog/index.ts';
import {
  DecisionInputSchema,
  PolicySchema,
  type Memory,
  type PolicyInput,
  type SignalInput,
} from '../../core/index.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    zones: { type: 'string', default: '1' },
    mode: { type: 'string', default: 'fallback' },
    hours: { type: 'string', default: '168' },
    'job-hours': { type: 'string', default: '6' },
    runs: { type: 'string', default: '1' },
    slack: { type: 'string', default: '50' },
  },
});

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const BOOT_MS = 240_000;
const RESTORE_MS = 120_000;
const NOTICE_MS = 120_000;
const TICK_MS = 60_000;
const TYPE = 'p3.2xlarge';
const INFO = lookupInstanceType(TYPE)!;

/** mulberry32: a small, fast, seeded PRNG. */
function prng(seed: number): () => number {
  // Scramble the seed (murmur3 finalizer): small consecutive seeds otherwise start with alike outputs.
  let a = seed >>> 0;
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  a = (a ^ (a >>> 16)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function logNormal(random: () => number, median: number, sigma: number): number {
  const u = Math.max(random(), 1e-12);
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return median * Math.exp(sigma * normal);
}
/** The trace's longest run and outage, minutes: draws are capped there so the market stays inside what was seen. */
const LONGEST_RUN = 1338;
const LONGEST_OUTAGE = 291.7;

/** Standard normal CDF (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf =
    1 -
    t *
      (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
      Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
/** Mean of min(X, cap) for a log-normal X with this median and sigma. */
function cappedMean(median: number, sigma: number, cap: number): number {
  const mu = Math.log(median);
  const below = Math.exp(mu + (sigma * sigma) / 2) * phi((Math.log(cap) - mu - sigma * sigma) / sigma);
  return below + cap * (1 - phi((Math.log(cap) - mu) / sigma));
}
/** The sigma whose capped mean is `mean` (bisection): medians, means and maxima all match the trace. */
function sigmaFor(median: number, mean: number, cap: number): number {
  let lo = 0.01;
  let hi = 5;
  for (let i = 0; i < 100; i += 1) {
    const mid = (lo + hi) / 2;
    if (cappedMean(median, mid, cap) < mean) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
// 45 outages in 177 h with 79.3 % obtainable: mean run 187.1 min, mean outage 48.9 min.
const RUN = { median: 68.3, sigma: sigmaFor(68.3, (177 * 60 * 0.793) / 45, LONGEST_RUN) };
const OUTAGE = { median: 25.6, sigma: sigmaFor(25.6, (177 * 60 * 0.207) / 45, LONGEST_OUTAGE) };

interface Outage {
  start: number;
  end: number;
}
const run = (random: () => number) => Math.round(Math.min(LONGEST_RUN, logNormal(random, RUN.median, RUN.sigma)) * MIN);
function market(random: () => number, horizon: number): Outage[] {
  const outages: Outage[] = [];
  let t = T0 + Math.round(run(random) * random()); // start inside a run
  while (t < T0 + horizon) {
    const length = Math.round(Math.min(LONGEST_OUTAGE, logNormal(random, OUTAGE.median, OUTAGE.sigma)) * MIN);
    outages.push({ start: t, end: t + length });
    t += length + run(random);
  }
  return outages;
}

interface Node {
  id: string;
  poolId: string;
  capacityType: 'spot' | 'on-demand';
  zone: number;
  launchedAt: number;
  readyAt: number;
  jobId?: string;
  /** Start of the outage this node was warned about. */
  noticed?: number;
}
interface Job {
  id: string;
  queuedAt: number;
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
  | { at: number; seq: number; kind: 'notice' | 'outage-start'; zone: number; outage: Outage }
  | { at: number; seq: number; kind: 'node-ready'; node: string }
  | { at: number; seq: number; kind: 'capacity-error'; poolId: string }
  | { at: number; seq: number; kind: 'checkpoint-done'; job: string; version: number; node: string }
  | { at: number; seq: number; kind: 'job-finish'; job: string; version: number };

type EventInput = Event extends infer E ? (E extends Event ? Omit<E, 'seq'> : never) : never;

interface Result {
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

async function simulate(options: {
  seed: number;
  zones: number;
  mode: string;
  horizon: number;
  jobMs: number;
  slackPercent: number;
  checkpoints: boolean;
  outages: Outage[][];
  policy: PolicyInput;
}): Promise<Result> {
  const random = prng(options.seed * 7919 + 17); // checkpoint times: a stream apart from the market's
  const end = T0 + options.horizon;
  const policy = PolicySchema.parse(options.policy);
  const pools = [
    ...Array.from({ length: options.zones }, (_, z) => ({
      id: `p3-spot-${z}`,
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
  const nodes = new Map<string, Node>();
  const result: Result = {
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
  let nodeSeq = 0;
  let jobSeq = 0;
  const events: Event[] = [];
  const push = (event: EventInput) => {
    const full = { ...event, seq: seq++ } as Event;
    let i = events.length;
    while (i > 0 && (events[i - 1]!.at > full.at || (events[i - 1]!.at === full.at && events[i - 1]!.seq > full.seq)))
      i -= 1;
    events.splice(i, 0, full);
  };
  const outageAt = (zone: number, t: number) => options.outages[zone]!.some((o) => o.start <= t && t < o.end);

  const bill = (node: Node, until: number) => {
    const hours = (until - node.launchedAt) / HOUR;
    const price = node.capacityType === 'spot' ? INFO.spotUsdPerHour : INFO.onDemandUsdPerHour;
    result.costUsd += hours * price;
    if (node.capacityType === 'spot') result.spotHours += hours;
    else result.onDemandHours += hours;
  };

  const newJob = (now: number): Job => ({
    id: `job-${++jobSeq}`,
    queuedAt: now,
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
  const stopJob = (now: number, lose: boolean) => {
    advance(now);
    if (lose) {
      result.lostGpuHours += (job.progressMs - job.savedMs) / HOUR;
      job.lostMs += job.progressMs - job.savedMs;
      job.progressMs = job.savedMs;
    }
    job.node = undefined;
    job.runningFrom = undefined;
    job.writingMs = undefined;
    job.writingAt = undefined;
    job.paused = false;
    job.version += 1;
  };

  const observed = (now: number) => ({
    observedAt: now,
    pools: pools.map((pool) => {
      const inPool = [...nodes.values()].filter((n) => n.poolId === pool.id);
      const ready = inPool.filter((n) => n.readyAt <= now);
      return {
        poolId: pool.id,
        instanceType: TYPE,
        capacityType: pool.capacityType,
        desired: inPool.length,
        ready: ready.length,
        pending: inPool.length - ready.length,
        nodes: inPool.map((n) => ({
          id: n.id,
          state: n.readyAt <= now ? ('ready' as const) : ('pending' as const),
          ...(n.jobId ? { jobId: n.jobId } : {}),
        })),
      };
    }),
  });

  const removeNode = (id: string, now: number) => {
    const node = nodes.get(id);
    if (!node) return;
    bill(node, now);
    nodes.delete(id);
  };

  /** Launch in a pool; throws `InsufficientCapacityError` while its zone is in an outage. */
  const launchIn = (poolId: string, count: number, now: number): string[] => {
    const pool = pools.find((p) => p.id === poolId);
    if (!pool) throw new PoolNotFoundError(poolId);
    const zone = pool.capacityType === 'spot' ? Number(poolId.split('-').at(-1)) : -1;
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      if (pool.capacityType === 'spot' && outageAt(zone, now))
        throw new InsufficientCapacityError(poolId, TYPE, 'spot', 'InsufficientInstanceCapacity', ids.length);
      const node: Node = {
        id: `i-${++nodeSeq}`,
        poolId,
        capacityType: pool.capacityType,
        zone,
        launchedAt: now,
        readyAt: now + BOOT_MS,
      };
      nodes.set(node.id, node);
      ids.push(node.id);
      push({ at: node.readyAt, kind: 'node-ready', node: node.id });
      // Launched less than 2 minutes before an outage: the provider warns it too, with what time is left.
      const coming =
        pool.capacityType === 'spot'
          ? options.outages[zone]!.find((o) => o.start > now && o.start - now <= NOTICE_MS)
          : undefined;
      if (coming) push({ at: now + 1000, kind: 'notice', zone, outage: coming });
    }
    return ids;
  };

  /** The bench's cloud behind the actuator port, acting at `clock.now`; the reconciler is its only caller. */
  const clock = { now: T0 };
  const cloud: ActuatorPort = {
    readCapacity: async () => observed(clock.now),
    launchCapacity: async (request) => launchIn(request.poolId, request.count, clock.now),
    setCapacity: async ({ poolId, desired }) => {
      const now = clock.now;
      const inPool = [...nodes.values()].filter((n) => n.poolId === poolId);
      if (desired > inPool.length) launchIn(poolId, desired - inPool.length, now);
      const idle = inPool.filter((n) => !n.jobId).sort((a, b) => b.launchedAt - a.launchedAt);
      for (const node of idle.slice(0, Math.max(0, inPool.length - desired))) removeNode(node.id, now);
    },
    drainAndRelease: async ({ poolId, instanceId }) => {
      const now = clock.now;
      const node = nodes.get(instanceId);
      if (!node) throw new NodeNotFoundError(poolId, instanceId);
      const hadJob = node.jobId === job.id && job.node === node.id;
      if (hadJob) stopJob(now, true);
      removeNode(node.id, now);
      if (hadJob) later.push({ kind: 'job', event: 'preempted', jobId: job.id, observedAt: now, source: 'bench' });
    },
    requestCheckpoint: async ({ jobId }) => {
      const now = clock.now;
      result.checkpointsRequested += 1;
      if (!options.checkpoints || job.id !== jobId || !job.node) return;
      if (job.paused) return; // already writing one
      advance(now);
      job.paused = true; // training pauses while the checkpoint is written, then goes on
      job.writingMs = job.progressMs;
      job.writingAt = now;
      job.runningFrom = undefined;
      job.version += 1;
      const write = Math.round(logNormal(random, 50, 0.5) * 1000);
      push({ at: now + write, kind: 'checkpoint-done', job: job.id, version: job.version, node: job.node });
    },
    changeInstanceType: async () => undefined,
  };
  /** Signals the cloud raises while a decision is executed, sent once it is done. */
  const later: SignalInput[] = [];

  const send = async (signal: SignalInput, now: number): Promise<void> => {
    clock.now = now;
    const decision = decide(
      DecisionInputSchema.parse({
        now,
        signal,
        target,
        policy,
        observed: await cloud.readCapacity(target.id),
        ...(memory ? { memory } : {}),
      }),
    );
    result.decisions += 1;
    if (
      process.env.SPOT_BENCH_TRACE &&
      options.checkpoints &&
      (decision.actions.length > 0 || signal.kind !== 'schedule-tick')
    ) {
      console.error(
        `${((now - T0) / MIN).toFixed(1)} min ${signal.kind}${'event' in signal ? ` ${signal.event}` : ''}: ${decision.reasons.filter((r) => !r.startsWith('estimated spend')).join(' | ')}`,
      );
    }
    memory = decision.memory;
    // Through the shell's reconciler, like production: a capacity error comes back as a signal.
    const reconciliation = await reconcile(decision, cloud, { now, source: 'bench' });
    if (reconciliation.error !== undefined && reconciliation.signals.length === 0) throw reconciliation.error;
    for (const error of reconciliation.signals)
      if (error.kind === 'capacity-error') push({ at: now + 1000, kind: 'capacity-error', poolId: error.poolId });
    for (const next of later.splice(0)) await send(next, now);
  };

  const schedule = async (now: number): Promise<void> => {
    // The job scheduler (Ray, SageMaker, ...): start the waiting job on a free ready node.
    if (job.node) return;
    const free = [...nodes.values()].find((n) => n.readyAt <= now && !n.jobId);
    if (!free) return;
    free.jobId = job.id;
    job.node = free.id;
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
  options.outages.forEach((list, zone) => {
    for (const outage of list) {
      if (outage.start - NOTICE_MS >= T0 && outage.start < end)
        push({ at: outage.start - NOTICE_MS, kind: 'notice', zone, outage });
      if (outage.start < end) push({ at: outage.start, kind: 'outage-start', zone, outage });
    }
  });
  await send(queued(T0), T0);

  while (events.length > 0) {
    const event = events.shift()!;
    if (event.at >= end) break;
    const now = event.at;
    switch (event.kind) {
      case 'tick':
        await send({ kind: 'schedule-tick', observedAt: now, source: 'bench' }, now);
        break;
      case 'notice':
        for (const node of [...nodes.values()].filter(
          (n) => n.capacityType === 'spot' && n.zone === event.zone && n.noticed !== event.outage.start,
        )) {
          node.noticed = event.outage.start;
          result.interruptions += 1;
          await send(
            {
              kind: 'spot-interruption',
              instanceId: node.id,
              poolId: node.poolId,
              deadlineAt: event.outage.start,
              observedAt: now,
              source: 'bench',
            },
            now,
          );
        }
        break;
      case 'outage-start':
        for (const node of [...nodes.values()].filter((n) => n.capacityType === 'spot' && n.zone === event.zone)) {
          const hadJob = node.jobId === job.id && job.node === node.id;
          if (hadJob) stopJob(now, true);
          removeNode(node.id, now);
          if (hadJob)
            await send({ kind: 'job', event: 'preempted', jobId: job.id, observedAt: now, source: 'bench' }, now);
        }
        break;
      case 'node-ready':
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
        if (event.version !== job.version || job.node !== event.node || !nodes.has(event.node)) break;
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
        const node = nodes.get(job.node);
        if (node) delete node.jobId;
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
    await schedule(now);
  }
  advance(end);
  result.usefulGpuHours += job.progressMs / HOUR; // the unfinished job's progress counts as useful work
  // An unfinished job already past its deadline at the end of the week is a miss; one due later is not counted.
  if (job.deadlineAt !== undefined && job.deadlineAt < end) {
    result.deadlinesMissed += 1;
    if (job.lostMs > MIN) result.deadlinesMissedAfterLostWork += 1;
    result.maxLateMinutes = Math.max(result.maxLateMinutes, (end - job.deadlineAt) / MIN);
  }
  result.jobsStarted = started.size;
  for (const node of [...nodes.values()]) bill(node, end);
  result.coreAccountedLostGpuHours = memory?.ml.lostGpuHours ?? 0;
  return result;
}

/**
 * The restart-from-scratch baseline, SkyPilot managed jobs with `use_spot` and no application checkpoints:
 * run on spot; when the node is taken, all progress of the job is lost and it is relaunched on spot in a
 * zone that has capacity, or once one has (spot only: no on-demand). Same market, boot and load times.
 */
function skyPilot(
  outages: Outage[][],
  horizon: number,
  jobMs: number,
): { lostGpuHours: number; usefulGpuHours: number; costUsd: number } {
  const end = T0 + horizon;
  const outageAt = (zone: number, t: number) => outages[zone]!.find((o) => o.start <= t && t < o.end);
  const nextStart = (zone: number, t: number) => outages[zone]!.find((o) => o.start > t)?.start ?? Infinity;
  let t = T0;
  let lost = 0;
  let useful = 0;
  let nodeHours = 0;
  let progress = 0;
  while (t < end) {
    // Find a zone with capacity now, else wait for the first outage to end.
    const zone = outages.findIndex((_, z) => !outageAt(z, t));
    if (zone < 0) {
      t = Math.min(...outages.map((_, z) => outageAt(z, t)!.end));
      continue;
    }
    const launchedAt = t;
    const preemptedAt = Math.min(nextStart(zone, t), end);
    let runFrom = t + BOOT_MS + RESTORE_MS;
    // Jobs finish back to back on the node until it is taken.
    while (runFrom + (jobMs - progress) <= preemptedAt) {
      runFrom += jobMs - progress;
      useful += jobMs;
      progress = 0;
      runFrom += RESTORE_MS; // the next job loads
    }
    if (preemptedAt > runFrom) progress += preemptedAt - runFrom;
    nodeHours += (preemptedAt - launchedAt) / HOUR;
    if (preemptedAt >= end) break;
    lost += progress;
    progress = 0;
    t = preemptedAt;
  }
  useful += progress;
  return { lostGpuHours: lost / HOUR, usefulGpuHours: useful / HOUR, costUsd: nodeHours * INFO.spotUsdPerHour };
}

const zones = Math.max(1, Math.min(4, Number(values.zones)));
const mode = values.mode === 'wait' ? 'wait' : 'fallback';
const slackPercent = Math.max(0, Number(values.slack));
const horizon = Number(values.hours) * HOUR;
const jobMs = Number(values['job-hours']) * HOUR;
const policy: PolicyInput = {
  minCapacity: 0,
  maxCapacity: 4,
  // With checkpoints an interruption costs little, so a pool is dropped only at 24 a day (the trace has ~6).
  spot: { maxInterruptionsPerWindow: 24, returnToSpotAfterSeconds: 300, capacityErrorCooldownSeconds: 180 },
  // The boot and load estimates are the bench's own (240 s, 120 s); the deadline margin is the default 900 s.
  training: {
    checkpointSeconds: 60,
    idleTimeoutSeconds: 300,
    onDemandFallback: mode === 'fallback',
    nodeBootSeconds: BOOT_MS / 1000,
    jobLoadSeconds: RESTORE_MS / 1000,
  },
};
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => (xs.length === 0 ? 0 : sorted(xs)[Math.floor(xs.length / 2)]!);
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function runOnce(seed: number) {
  const marketRandom = prng(seed);
  const outages = Array.from({ length: zones }, () => market(marketRandom, horizon));
  const tide = await simulate({ seed, zones, mode, horizon, jobMs, slackPercent, checkpoints: true, outages, policy });
  const scratch = skyPilot(outages, horizon, jobMs);
  // The same useful work on one on-demand node: its GPU-hours plus one load per job, never interrupted.
  const onDemandCostUsd = (tide.usefulGpuHours + (tide.jobsStarted * RESTORE_MS) / HOUR) * INFO.onDemandUsdPerHour;
  const onDemandWeekCostUsd = (horizon / HOUR) * INFO.onDemandUsdPerHour;
  const allOutages = outages.flat().filter((o) => o.start < T0 + horizon);
  const down = outages.map((list) =>
    list.reduce((sum, o) => sum + Math.max(0, Math.min(o.end, T0 + horizon) - Math.max(o.start, T0)), 0),
  );
  return {
    seed,
    hours: horizon / HOUR,
    zones,
    mode,
    slackPercent,
    jobHours: jobMs / HOUR,
    instanceType: TYPE,
    onDemandUsdPerHour: INFO.onDemandUsdPerHour,
    spotUsdPerHour: INFO.spotUsdPerHour,
    costUsd: round(tide.costUsd),
    onDemandCostUsd: round(onDemandCostUsd),
    onDemandCostModel:
      'the same useful GPU-hours plus one 120 s load per job on one on-demand node; onDemandWeekCostUsd is one on-demand node for the whole week',
    onDemandWeekCostUsd: round(onDemandWeekCostUsd),
    savingsPercent: round((1 - tide.costUsd / onDemandCostUsd) * 100, 1),
    savingsVsWeekPercent: round((1 - tide.costUsd / onDemandWeekCostUsd) * 100, 1),
    deadlinesMet: tide.deadlinesMet,
    deadlinesMissed: tide.deadlinesMissed,
    deadlinesMissedAfterLostWork: tide.deadlinesMissedAfterLostWork,
    maxLateMinutes: round(tide.maxLateMinutes, 1),
    lostGpuHours: round(tide.lostGpuHours, 3),
    restartFromScratchLostGpuHours: round(scratch.lostGpuHours, 3),
    lostReductionPercent:
      scratch.lostGpuHours > 0 ? round((1 - tide.lostGpuHours / scratch.lostGpuHours) * 100, 1) : null,
    usefulGpuHours: round(tide.usefulGpuHours),
    restartFromScratchUsefulGpuHours: round(scratch.usefulGpuHours),
    restartFromScratchCostUsd: round(scratch.costUsd),
    costPerUsefulGpuHour: round(tide.costUsd / Math.max(tide.usefulGpuHours, 1e-9), 3),
    onDemandCostPerUsefulGpuHour: INFO.onDemandUsdPerHour,
    spotNodeHours: round(tide.spotHours),
    onDemandNodeHours: round(tide.onDemandHours),
    interruptions: tide.interruptions,
    checkpointsRequested: tide.checkpointsRequested,
    checkpointsAcknowledged: tide.checkpointsAcknowledged,
    jobsFinished: tide.jobsFinished,
    jobsStarted: tide.jobsStarted,
    coreAccountedLostGpuHours: round(tide.coreAccountedLostGpuHours, 3),
    decisions: tide.decisions,
    restartFromScratchModel:
      'SkyPilot managed job, spot only, no application checkpoints: relaunched in a zone with capacity, progress lost on every preemption',
    market: {
      runSigma: round(RUN.sigma, 3),
      outageSigma: round(OUTAGE.sigma, 3),
      availabilityPercent: round(100 - (100 * down.reduce((a, b) => a + b, 0)) / (zones * horizon), 1),
      outages: allOutages.length,
      medianOutageMinutes: round(median(allOutages.map((o) => (o.end - o.start) / MIN)), 1),
      medianRunMinutes: round(
        median(outages.flatMap((list) => list.slice(1).map((o, i) => (o.start - list[i]!.end) / MIN))),
        1,
      ),
    },
    goals: {
      atLeast55PercentCheaper: tide.costUsd <= 0.45 * onDemandCostUsd,
      atLeast80PercentFewerGpuHoursLost: tide.lostGpuHours <= 0.2 * scratch.lostGpuHours,
    },
  };
}

const first = Number(values.seed);
const runs = Math.max(1, Number(values.runs));
const results: Awaited<ReturnType<typeof runOnce>>[] = [];
for (let i = 0; i < runs; i += 1) results.push(await runOnce(first + i));
const stats = (pick: (r: (typeof results)[number]) => number | null) => {
  const xs = results.map(pick).filter((x): x is number => x !== null);
  return { mean: round(xs.reduce((a, b) => a + b, 0) / xs.length, 1), min: Math.min(...xs), max: Math.max(...xs) };
};
const report = {
  ...results[0]!,
  ...(runs > 1
    ? {
        summary: {
          runs,
          seeds: `${first}-${first + runs - 1}`,
          savingsPercent: stats((r) => r.savingsPercent),
          savingsVsWeekPercent: stats((r) => r.savingsVsWeekPercent),
          costUsd: stats((r) => r.costUsd),
          onDemandCostUsd: stats((r) => r.onDemandCostUsd),
          deadlinesMet: results.reduce((sum, r) => sum + r.deadlinesMet, 0),
          deadlinesMissed: results.reduce((sum, r) => sum + r.deadlinesMissed, 0),
          deadlinesMissedAfterLostWork: results.reduce((sum, r) => sum + r.deadlinesMissedAfterLostWork, 0),
          runsWithMissedDeadlines: results.filter((r) => r.deadlinesMissed > 0).length,
          maxLateMinutes: Math.max(...results.map((r) => r.maxLateMinutes)),
          onDemandNodeHours: stats((r) => r.onDemandNodeHours),
          spotNodeHours: stats((r) => r.spotNodeHours),
          lostReductionPercent: stats((r) => r.lostReductionPercent),
          lostGpuHours: stats((r) => r.lostGpuHours),
          restartFromScratchLostGpuHours: stats((r) => r.restartFromScratchLostGpuHours),
          usefulGpuHours: stats((r) => r.usefulGpuHours),
          costPerUsefulGpuHour: stats((r) => r.costPerUsefulGpuHour),
          restartFromScratchUsefulGpuHours: stats((r) => r.restartFromScratchUsefulGpuHours),
          availabilityPercent: stats((r) => r.market.availabilityPercent),
          outages: stats((r) => r.market.outages),
          runsMeetingCostGoal: results.filter((r) => r.goals.atLeast55PercentCheaper).length,
          runsMeetingLossGoal: results.filter((r) => r.goals.atLeast80PercentFewerGpuHoursLost).length,
        },
      }
    : {}),
  policy,
};

if (values.json) console.log(JSON.stringify(report));
else {
  const r = report;
  console.log(
    `spot bench: seed ${r.seed}, ${r.hours} h, ${zones} spot zone(s), ${mode} mode, ${r.jobHours} GPU-hour jobs on ${TYPE}, ${slackPercent > 0 ? `due ${slackPercent} % after their length` : 'no deadlines'}`,
  );
  console.log(
    `market: ${r.market.availabilityPercent} % obtainable, ${r.market.outages} outages, median outage ${r.market.medianOutageMinutes} min, median run ${r.market.medianRunMinutes} min`,
  );
  console.log(
    `cost: $${r.costUsd} vs the same work all on-demand $${r.onDemandCostUsd} (${r.savingsPercent} % cheaper; one on-demand node for the week: $${r.onDemandWeekCostUsd})`,
  );
  console.log(
    `deadlines: ${r.deadlinesMet} met, ${r.deadlinesMissed} missed${r.deadlinesMissed > 0 ? ` (latest ${r.maxLateMinutes} min late)` : ''}`,
  );
  console.log(
    `lost: ${r.lostGpuHours} GPU-hours vs ${r.restartFromScratchLostGpuHours} restarting from scratch (${r.lostReductionPercent} % fewer)`,
  );
  console.log(
    `useful work: ${r.usefulGpuHours} GPU-hours (restart from scratch: ${r.restartFromScratchUsefulGpuHours}); $${r.costPerUsefulGpuHour} per useful GPU-hour vs $${INFO.onDemandUsdPerHour} on-demand`,
  );
  console.log(
    `goals: 55 % cheaper ${r.goals.atLeast55PercentCheaper ? 'met' : 'MISSED'}; 80 % fewer GPU-hours lost ${r.goals.atLeast80PercentFewerGpuHoursLost ? 'met' : 'MISSED'}`,
  );
  if ('summary' in r && r.summary)
    console.log(`over ${r.summary.runs} seeds (${r.summary.seeds}): ${JSON.stringify(r.summary)}`);
}
