import type { Action, Hold } from '../../decision.ts';
import type { JobEvent } from '../../schema/signal.ts';
import { copyMlState, ML_MEMORY_LIMITS, type MlState, type TrainingJob } from '../../schema/ml-memory.ts';
import { isCompatible, type InstanceRequirement } from '../../catalog/index.ts';
import type { SpendLimit } from './budget.ts';
import { poolOfInstance, poolViews, usd, type MlContext, type MlStep, type PoolView } from './context.ts';
import { expireCheckpointWaits, releaseOnAcknowledge } from './checkpoint.ts';
import { estimateCost } from './cost.ts';
import { launch, noteFallback, placeCapacity } from './spot.ts';
import {
  clock,
  deadlineOfQueued,
  duration,
  progressOnCheckpoint,
  progressOnPreempt,
  progressOnStart,
  protectDeadlines,
} from './deadline.ts';
import { moveForDeadlines, returnForDeadlines } from './deadline-move.ts';
import { dict, dictFromEntries, own } from '../../dictionary.ts';
import { isoTime } from '../../format.ts';

function boundJobs(jobs: MlState['jobs']): MlState['jobs'] {
  const ids = Object.keys(jobs);
  if (ids.length <= ML_MEMORY_LIMITS.jobs) return jobs;
  const keep = ids.sort((a, b) => jobs[b]!.queuedAt - jobs[a]!.queuedAt).slice(0, ML_MEMORY_LIMITS.jobs);
  return dictFromEntries(keep.map((id) => [id, jobs[id]!]));
}

/** Fold one job event into the memory; a checkpoint acknowledgement releases the nodes waiting for it. */
export function applyJobEvent(ctx: MlContext, ml: MlState, event: JobEvent): MlStep {
  const reasons: string[] = [];
  let actions: Action[] = [];
  const jobs = dict(ml.jobs);
  const known = jobs[event.jobId];
  const fresh = (): TrainingJob => ({
    state: 'queued',
    gpusPerNode: event.gpusPerNode ?? 1,
    nodeCount: event.nodeCount ?? 1,
    priority: event.priority ?? 0,
    gpuModel: event.gpuModel ?? null,
    queuedAt: event.observedAt,
    launchedAt: null,
    poolId: null,
    startedAt: null,
    lastCheckpointAt: null,
    instanceIds: [],
    moveCalledOffAt: null,
    ...deadlineOfQueued(ctx, event),
    savedSeconds: 0,
    resumedFromSeconds: 0,
    progressingSince: null,
    onDemandForDeadlineAt: null,
    deadlineCheckpointAt: null,
    backOnSpotAt: null,
  });
  let next: MlState = ml;
  switch (event.event) {
    case 'queued':
      if (known) reasons.push(`job ${event.jobId} is already known (${known.state}): queued event ignored`);
      else {
        jobs[event.jobId] = fresh();
        const job = jobs[event.jobId]!;
        const due =
          job.deadlineAt !== null
            ? `, due ${clock(job.deadlineAt)}${job.runSeconds !== null ? ` (runs ${duration(job.runSeconds * 1000)})` : ' (no run time given: the deadline is not used)'}`
            : '';
        reasons.push(
          `job ${event.jobId} queued: ${job.nodeCount} node(s) x ${job.gpusPerNode} GPU(s)${job.gpuModel ? ` ${job.gpuModel}` : ''}, priority ${job.priority}${due}`,
        );
      }
      break;
    case 'started': {
      const job = known ?? fresh();
      const instanceIds = event.instanceIds ?? job.instanceIds;
      // A job on on-demand for its deadline that starts on spot nodes has moved back to spot (deadline-move.ts).
      const views = poolViews(ctx);
      const backOnSpot =
        job.onDemandForDeadlineAt !== null &&
        instanceIds.length > 0 &&
        instanceIds.every((id) => poolOfInstance(views, id)?.capacityType === 'spot');
      jobs[event.jobId] = progressOnStart(
        ctx,
        {
          ...job,
          state: 'running',
          startedAt: event.observedAt,
          instanceIds,
          ...(backOnSpot ? { onDemandForDeadlineAt: null, backOnSpotAt: event.observedAt } : {}),
        },
        event.observedAt,
      );
      reasons.push(
        `job ${event.jobId} started${event.instanceIds ? ` on ${event.instanceIds.join(', ')}` : ''}${backOnSpot ? ': back on spot, no longer on on-demand for its deadline' : ''}`,
      );
      const idleSince = dict(ml.idleSince);
      for (const id of event.instanceIds ?? []) delete idleSince[id];
      next = { ...next, idleSince };
      break;
    }
    case 'finished':
    case 'failed':
      delete jobs[event.jobId];
      reasons.push(`job ${event.jobId} ${event.event}: its nodes are free`);
      next = { ...next, checkpointWaits: next.checkpointWaits.filter((w) => w.jobId !== event.jobId) };
      break;
    case 'preempted':
      if (known) {
        // Waits only for a replacement launched while it ran (a notice); the launch that first placed it is spent.
        const replacing =
          known.launchedAt !== null &&
          (known.startedAt === null || known.launchedAt > known.startedAt) &&
          ctx.now - known.launchedAt < ctx.policy.training.launchTimeoutSeconds * 1000;
        jobs[event.jobId] = progressOnPreempt({ ...known, state: replacing ? 'launching' : 'queued', instanceIds: [] });
        reasons.push(
          `job ${event.jobId} preempted: ${replacing ? `waits for the replacement launched ${Math.round((ctx.now - known.launchedAt!) / 1000)} s ago` : 'queued again'}`,
        );
      } else {
        jobs[event.jobId] = fresh();
        reasons.push(`job ${event.jobId} preempted (not seen before): queued`);
      }
      break;
    case 'checkpoint-acknowledged': {
      const at = event.checkpointAt ?? event.observedAt;
      if (known)
        jobs[event.jobId] = progressOnCheckpoint(
          { ...known, lastCheckpointAt: Math.max(known.lastCheckpointAt ?? 0, at) },
          at,
          event.observedAt,
        );
      const released = releaseOnAcknowledge(ctx, { ...next, jobs }, event.jobId, at);
      actions = released.actions;
      reasons.push(`job ${event.jobId} checkpointed at ${isoTime(at)}`, ...released.reasons);
      next = released.ml;
      break;
    }
  }
  return {
    actions,
    holds: [],
    reasons,
    ml: {
      ...next,
      jobs: boundJobs(Object.assign(dict(jobs), event.event === 'checkpoint-acknowledged' ? next.jobs : {})),
    },
  };
}

function requirementOf(job: TrainingJob): InstanceRequirement {
  return { minGpus: job.gpusPerNode, ...(job.gpuModel ? { gpuModel: job.gpuModel } : {}) };
}

function fitsPool(pool: PoolView, job: TrainingJob): boolean {
  return pool.info !== undefined && isCompatible(pool.info, requirementOf(job));
}

const byPoolPrice = (a: PoolView, b: PoolView) => (a.price ?? Infinity) - (b.price ?? Infinity);

/**
 * The pools by price, cheapest first, as a stable sort gives them (equal prices keep the pools' order). Pools
 * are usually listed cheapest first (spot, then on-demand): then the views themselves, read only, not a copy.
 */
function cheapestFirst(views: readonly PoolView[]): readonly PoolView[] {
  for (let i = 1; i < views.length; i += 1)
    if (!((views[i - 1]!.price ?? Infinity) <= (views[i]!.price ?? Infinity))) return [...views].sort(byPoolPrice);
  return views;
}

const byPriority = ([idA, a]: [string, TrainingJob], [idB, b]: [string, TrainingJob]) =>
  b.priority - a.priority || a.queuedAt - b.queuedAt || idA.localeCompare(idB);

/**
 * The training pool's capacity plan, on every decision: expire checkpoint waits, place queued jobs
 * (highest priority first, each job all or nothing) on idle nodes or on new nodes in the cheapest usable
 * pool, and release nodes idle longer than the idle timeout (down to the policy's minimum; 0 = scale to zero).
 */
export function planTraining(
  ctx: MlContext,
  ml: MlState,
  limit?: SpendLimit,
  releasedNow: ReadonlySet<string> = new Set(),
): MlStep {
  const holds: Hold[] = [];
  const expired = expireCheckpointWaits(ctx, ml);
  const protectedJobs = protectDeadlines(ctx, expired.ml);
  const reasons = [...expired.reasons, ...protectedJobs.reasons];
  const actions: Action[] = [...expired.actions, ...protectedJobs.actions];
  let next = protectedJobs.ml;
  const jobs = dict(next.jobs);
  const timeoutMs = ctx.policy.training.launchTimeoutSeconds * 1000;
  // Plain loops over the job book and the nodes, no per-call closures or intermediate arrays: this runs on
  // every decision of a training pool.
  for (const id in jobs) {
    const job = jobs[id]!;
    if (job.state === 'launching' && job.launchedAt !== null && ctx.now - job.launchedAt >= timeoutMs) {
      jobs[id] = { ...job, state: 'queued' };
      reasons.push(
        `job ${id}: its nodes did not start it within ${ctx.policy.training.launchTimeoutSeconds} s: queued again`,
      );
    }
  }

  const views = poolViews(ctx);
  const waiting = new Set<string>();
  for (const wait of next.checkpointWaits) waiting.add(wait.instanceId);
  const busy = new Set<string>();
  for (const id in jobs) {
    const job = jobs[id]!;
    if (job.state === 'running') for (const node of job.instanceIds) busy.add(node);
  }
  // Free nodes per pool: up (or booting), no job, not waiting on a checkpoint, not released by this decision.
  const free = new Map<string, string[]>();
  for (const pool of views) {
    const ids: string[] = [];
    for (const n of pool.nodes)
      if (n.state !== 'draining' && !n.jobId && !busy.has(n.id) && !waiting.has(n.id) && !releasedNow.has(n.id))
        ids.push(n.id);
    free.set(pool.id, ids.sort());
  }
  const reserved = new Set<string>();
  // The cheapest first: idle spot before idle on-demand (a stable sort: equal prices keep the pools' order).
  const byPrice = cheapestFirst(views);
  const reserve = (job: TrainingJob, poolHint: string | null): string[] | undefined => {
    // The hinted pool first (a replacement launched for this job), then by price: sorted once per decision.
    const hinted = poolHint === null ? undefined : byPrice.find((pool) => pool.id === poolHint);
    const order = hinted ? [hinted, ...byPrice.filter((pool) => pool !== hinted)] : byPrice;
    for (const pool of order) {
      if (!fitsPool(pool, job)) continue;
      const open = (free.get(pool.id) ?? []).filter((id) => !reserved.has(id));
      if (open.length >= job.nodeCount) {
        const taken = open.slice(0, job.nodeCount);
        for (const id of taken) reserved.add(id);
        return taken;
      }
    }
    return undefined;
  };
  const ordered = Object.entries(jobs).sort(byPriority);
  for (const [, job] of ordered) if (job.state === 'launching') reserve(job, job.poolId);

  let total = views.reduce((sum, pool) => sum + pool.desired, 0);
  const totals = { nodes: total };
  const ledger = { free, reserved, totals, releasedNow };
  for (const move of [moveForDeadlines, returnForDeadlines]) {
    const step = move(ctx, next, jobs, ledger);
    actions.push(...step.actions);
    holds.push(...step.holds);
    reasons.push(...step.reasons);
    next = step.ml;
  }
  total = totals.nodes;
  let blocked: string | undefined;
  for (const [id, job] of ordered) {
    if (job.state !== 'queued') continue;
    if (blocked) {
      holds.push({ rule: 'spend-cap', reason: `job ${id} (priority ${job.priority}) waits behind ${blocked}` });
      continue;
    }
    const idle = reserve(job, null);
    if (idle) {
      jobs[id] = { ...job, state: 'launching', launchedAt: ctx.now };
      reasons.push(`job ${id} placed on idle node(s) ${idle.join(', ')}`);
      continue;
    }
    const placement = placeCapacity(ctx, next, job.nodeCount, {
      requirement: requirementOf(job),
      totalAfter: total + job.nodeCount,
      job: { id, job },
    });
    const pool = placement.pool;
    if (!pool && placement.wait) {
      holds.push({ rule: 'deadline-slack', reason: placement.wait });
      continue;
    }
    if (!pool) {
      holds.push({
        rule: 'unsupported',
        reason: `job ${id} (${job.nodeCount} x ${job.gpusPerNode} GPU${job.gpuModel ? ` ${job.gpuModel}` : ''}) cannot be placed: ${placement.reasons.join('; ')}`,
      });
      continue;
    }
    if (total + job.nodeCount > ctx.policy.maxCapacity) {
      holds.push({
        rule: 'bounds',
        reason: `job ${id} needs ${job.nodeCount} node(s) at once; ${total} + ${job.nodeCount} is above the maximum of ${ctx.policy.maxCapacity}: held (all or nothing)`,
      });
      blocked ??= `job ${id}, which does not fit under the maximum`;
      continue;
    }
    const reason = `job ${id} (priority ${job.priority}) needs ${job.nodeCount} x ${job.gpusPerNode} GPU: ${job.nodeCount} ${pool.instanceType} in ${pool.id} at ${usd(pool.price ?? 0)}/h each, all at once; ${placement.reasons.join('; ')}`;
    const candidate = launch(pool, job.nodeCount, reason);
    if (limit) {
      const after = estimateCost(ctx, [...actions, candidate]).afterUsdPerHour;
      if (after > limit.usdPerHour + 1e-9) {
        holds.push({
          rule: 'spend-cap',
          reason: `job ${id} held: ${job.nodeCount} more ${pool.instanceType} would bring spend to ${usd(after)}/h; ${limit.reason}`,
        });
        blocked = `job ${id} (priority ${job.priority}), held by the spend cap`;
        continue;
      }
    }
    actions.push(candidate);
    next = noteFallback(next, placement, ctx.now);
    total += job.nodeCount;
    jobs[id] = {
      ...job,
      state: 'launching',
      launchedAt: ctx.now,
      poolId: pool.id,
      ...(placement.deadlineOnDemand !== undefined && job.onDemandForDeadlineAt === null
        ? { onDemandForDeadlineAt: ctx.now }
        : {}),
    };
  }

  // Idle release: ready nodes that nothing reserved, idle longer than the timeout, down to the minimum.
  const idleSince = dict<number>();
  const idleMs = ctx.policy.training.idleTimeoutSeconds * 1000;
  const releasing = new Set(
    actions.filter((a) => a.type === 'drain-and-release').map((a) => (a as { instanceId: string }).instanceId),
  );
  for (const pool of views) {
    for (const node of pool.nodes) {
      if (node.state !== 'ready' || reserved.has(node.id) || !(free.get(pool.id) ?? []).includes(node.id)) continue;
      const since = own(next.idleSince, node.id) ?? ctx.now;
      if (ctx.now - since >= idleMs && !releasing.has(node.id)) {
        if (total - 1 < ctx.policy.minCapacity) {
          idleSince[node.id] = since;
          continue;
        }
        const reason = `${node.id} in ${pool.id} idle for ${Math.round((ctx.now - since) / 1000)} s (timeout ${ctx.policy.training.idleTimeoutSeconds} s): released${total - 1 === 0 ? '; the pool goes to zero' : ''}`;
        actions.push({ type: 'drain-and-release', poolId: pool.id, instanceId: node.id, reason });
        reasons.push(reason);
        total -= 1;
      } else if (!releasing.has(node.id)) idleSince[node.id] = since;
    }
  }
  const idleIds = Object.keys(idleSince);
  const boundedIdle =
    idleIds.length <= ML_MEMORY_LIMITS.idleNodes
      ? idleSince
      : dictFromEntries(idleIds.slice(0, ML_MEMORY_LIMITS.idleNodes).map((id) => [id, idleSince[id]!] as const));
  const ml2 = copyMlState(next);
  ml2.jobs = boundJobs(jobs);
  ml2.idleSince = boundedIdle;
  return { actions, holds, reasons, ml: ml2 };
}
