import { coverApplies } from './pool-loss.ts';
import type { Action, Hold } from '../../decision.ts';
import type { MlState } from '../../schema/ml-memory.ts';
import type { CapacityError, RebalanceRecommendation, SpotInterruptionNotice } from '../../schema/signal.ts';
import type { InstanceRequirement } from '../../catalog/index.ts';
import { planForNotice, jobOfNode } from './checkpoint.ts';
import { progressOnCheckpoint } from './deadline.ts';
import { poolOfInstance, poolViews, type MlContext, type MlStep, type PoolView } from './context.ts';
import {
  launch,
  noteFallback,
  placeCapacity,
  recentInterruptions,
  recordCapacityError,
  recordInterruption,
  unplaced,
} from './spot.ts';
import { dict, own, withEntry } from '../../dictionary.ts';
import { rememberNoticed, servesUntilReclaim } from './noticed.ts';

/** An ML step plus the pools that lose a node the provider takes without a release action (for the cost). */
export interface ReplacementStep extends MlStep {
  leavingPoolIds: string[];
}

function findPool(
  ctx: MlContext,
  signal: { instanceId: string; poolId?: string; instanceType?: string; zone?: string },
): PoolView | undefined {
  const views = poolViews(ctx);
  return (
    poolOfInstance(views, signal.instanceId, signal.poolId) ??
    views.find(
      (v) =>
        v.capacityType === 'spot' &&
        v.instanceType === signal.instanceType &&
        (signal.zone === undefined || v.zone === signal.zone),
    )
  );
}

function sameShape(pool: PoolView): InstanceRequirement | undefined {
  return pool.info ? { minGpus: pool.info.gpus, gpuModel: pool.info.gpuModel } : undefined;
}

function requirementFor(ml: MlState, jobId: string | undefined, pool: PoolView): InstanceRequirement | undefined {
  const job = jobId ? own(ml.jobs, jobId) : undefined;
  if (job) return { minGpus: job.gpusPerNode, ...(job.gpuModel ? { gpuModel: job.gpuModel } : {}) };
  return sameShape(pool);
}

/**
 * A node gets an interruption notice (deadline) or a rebalance recommendation (no deadline). Every
 * interrupted node gets a replacement in another pool, or a hold saying why not. Training nodes with a job
 * checkpoint first (or ride out a rebalance recommendation); idle training nodes are just released.
 */
function handleNodeAtRisk(
  ctx: MlContext,
  ml: MlState,
  signal: SpotInterruptionNotice | RebalanceRecommendation,
  deadlineAt: number | undefined,
): ReplacementStep {
  const actions: Action[] = [];
  const holds: Hold[] = [];
  const reasons: string[] = [];
  const leavingPoolIds: string[] = [];
  const pool = findPool(ctx, signal);
  const what = deadlineAt !== undefined ? 'interruption notice' : 'rebalance recommendation';
  if (!pool) {
    holds.push({
      rule: 'unsupported',
      reason: `${what} for ${signal.instanceId}: no pool of ${ctx.target.id} holds it, nothing to replace`,
    });
    return { actions, holds, reasons, ml, leavingPoolIds };
  }
  let next = deadlineAt !== undefined ? recordInterruption(ctx, ml, pool.id) : { ...ml, lastSpotTroubleAt: ctx.now };
  const hours = Math.round(ctx.policy.spot.interruptionWindowSeconds / 360) / 10;
  reasons.push(
    deadlineAt !== undefined
      ? `spot ${what} for ${signal.instanceId} in ${pool.id}: taken in ${Math.round((deadlineAt - ctx.now) / 1000)} s; ${recentInterruptions(ctx, next, pool.id)} interruption(s) of this pool in ${hours} h`
      : `${what} for ${signal.instanceId} in ${pool.id}: elevated risk of interruption`,
  );
  const running = jobOfNode(ctx, next, signal.instanceId);
  if (ctx.target.kind === 'training-pool' && !running) {
    const reason = `${signal.instanceId} runs no job: released now, no replacement needed`;
    actions.push({ type: 'drain-and-release', poolId: pool.id, instanceId: signal.instanceId, reason });
    reasons.push(reason);
    const idleSince = dict(next.idleSince);
    delete idleSince[signal.instanceId];
    next = { ...next, idleSince };
    // A node taken before it ran the job it was launched for: the pool is reclaiming capacity, so it is skipped
    // like after a capacity error, and the job is placed again (else it would wait for the launch timeout).
    const waitingJobs = Object.entries(next.jobs).filter(
      ([, job]) => job.state === 'launching' && job.poolId === pool.id,
    );
    if (deadlineAt !== undefined && waitingJobs.length > 0) {
      next = recordCapacityError(ctx, next, pool.id, 'InterruptedBeforeStart', pool.capacityType === 'spot');
      const jobs = dict(next.jobs);
      for (const [id, job] of waitingJobs) {
        jobs[id] = { ...job, state: 'queued', launchedAt: null, poolId: null };
        reasons.push(
          `job ${id} waited on ${pool.id}, which takes ${signal.instanceId} back before the job ran: placed again; ${pool.id} skipped for ${ctx.policy.spot.capacityErrorCooldownSeconds} s`,
        );
      }
      next = { ...next, jobs };
    }
    return { actions, holds, reasons, ml: next, leavingPoolIds };
  }
  let waiting = false;
  if (running) {
    const plan = planForNotice(ctx, next, { instanceId: signal.instanceId, pool }, running.jobId, deadlineAt);
    reasons.push(...plan.reasons);
    next = plan.ml;
    if (plan.rideOut) return { actions, holds, reasons, ml: next, leavingPoolIds };
    actions.push(...plan.actions);
    waiting = plan.waiting;
  }
  // A job moving to on-demand for its deadline already has its on-demand nodes on the way: no second launch.
  const moving = running ? own(next.jobs, running.jobId) : undefined;
  const movingTo =
    moving?.onDemandForDeadlineAt != null &&
    moving.launchedAt !== null &&
    ctx.now - moving.launchedAt < ctx.policy.training.launchTimeoutSeconds * 1000
      ? poolViews(ctx).find((view) => view.id === moving.poolId && view.capacityType === 'on-demand')
      : undefined;
  if (running && movingTo) {
    reasons.push(
      `replacement for ${signal.instanceId} not launched: job ${running.jobId} moves to on-demand for its deadline, its node(s) in ${movingTo.id} were launched ${Math.round((ctx.now - moving!.launchedAt!) / 1000)} s ago`,
    );
    if (waiting) leavingPoolIds.push(pool.id);
    return { actions, holds, reasons, ml: next, leavingPoolIds };
  }
  const total = poolViews(ctx).reduce((sum, view) => sum + view.desired, 0);
  // The deadline view counts the progress the checkpoint just requested will secure (if it fails, the job is
  // placed again from its last checkpoint, and the slack is computed again then).
  const known = running ? own(next.jobs, running.jobId) : undefined;
  const runningJob = known && waiting ? progressOnCheckpoint(known, ctx.now) : known;
  const placement = placeCapacity(ctx, next, 1, {
    exclude: [pool.id],
    requirement: requirementFor(next, running?.jobId, pool),
    totalAfter: total,
    ...(running && runningJob ? { job: { id: running.jobId, job: runningJob } } : {}),
  });
  if (placement.pool) {
    const reason = `replacement for ${signal.instanceId}: 1 ${placement.pool.capacityType} ${placement.pool.instanceType} in ${placement.pool.id}, launched now; ${placement.reasons.join('; ')}`;
    actions.push(launch(placement.pool, 1, reason, signal.instanceId));
    reasons.push(reason);
    next = noteFallback(next, placement, ctx.now);
    if (running && own(next.jobs, running.jobId)) {
      next = {
        ...next,
        jobs: withEntry(next.jobs, running.jobId, {
          ...own(next.jobs, running.jobId)!,
          launchedAt: ctx.now,
          poolId: placement.pool.id,
        }),
      };
    }
  } else if (placement.wait) {
    holds.push({
      rule: 'deadline-slack',
      reason: `replacement for ${signal.instanceId} not launched: ${placement.wait}`,
    });
  } else {
    holds.push(unplaced(`replacement for ${signal.instanceId}`, placement.reasons));
  }
  if (
    ctx.target.kind === 'inference-endpoint' &&
    deadlineAt !== undefined &&
    servesUntilReclaim(ctx.policy, ctx.now, deadlineAt) &&
    pool.nodes.some((node) => node.id === signal.instanceId)
  ) {
    // It still serves for the notice's length; its replacement boots meanwhile (core/strategies/ml/noticed.ts).
    next = rememberNoticed(next, { instanceId: signal.instanceId, poolId: pool.id, deadlineAt });
    reasons.push(
      `${signal.instanceId} keeps serving until ${ctx.policy.spot.drainBeforeReclaimSeconds} s before the provider takes it (in ${Math.round((deadlineAt - ctx.now) / 1000)} s), then is drained and released; counted from now as leaving, its replacement in its place`,
    );
  } else if (ctx.target.kind === 'inference-endpoint' && deadlineAt !== undefined) {
    const reason = `${signal.instanceId} drained now so in-flight requests finish before the provider takes it${pool.nodes.some((node) => node.id === signal.instanceId) ? ` (${Math.round((deadlineAt - ctx.now) / 1000)} s left, within spot.drainBeforeReclaimSeconds)` : ' (the snapshot lists no such replica to keep serving)'}`;
    actions.push({ type: 'drain-and-release', poolId: pool.id, instanceId: signal.instanceId, reason });
    reasons.push(reason);
  } else if (ctx.target.kind === 'inference-endpoint') {
    reasons.push(
      `${signal.instanceId} keeps serving until a notice comes; the spare replica is shed by the usual scale-in`,
    );
  } else if (waiting) {
    leavingPoolIds.push(pool.id);
  }
  return { actions, holds, reasons, ml: next, leavingPoolIds };
}

/** Spot interruption notice (AWS two-minute warning, GCP preemption, Azure eviction). */
export function handleSpotInterruption(ctx: MlContext, ml: MlState, signal: SpotInterruptionNotice): ReplacementStep {
  // A notice delivered again for a replica that serves out its notice: its replacement is already asked for.
  if (ml.noticed?.some((entry) => entry.instanceId === signal.instanceId && entry.deadlineAt > ctx.now))
    return {
      actions: [],
      holds: [],
      reasons: [
        `spot interruption notice for ${signal.instanceId} again: it serves until its deadline, its replacement is already asked for`,
      ],
      ml,
      leavingPoolIds: [],
    };
  return handleNodeAtRisk(ctx, ml, signal, signal.deadlineAt);
}

/** Rebalance recommendation (AWS): act before the notice, as EC2 Capacity Rebalancing does. */
export function handleRebalance(ctx: MlContext, ml: MlState, signal: RebalanceRecommendation): ReplacementStep {
  if (!ctx.policy.spot.actOnRebalance) {
    return {
      actions: [],
      holds: [
        {
          rule: 'disabled',
          reason: `rebalance recommendation for ${signal.instanceId} ignored: spot.actOnRebalance is false`,
        },
      ],
      reasons: [],
      ml: { ...ml, lastSpotTroubleAt: ctx.now },
      leavingPoolIds: [],
    };
  }
  return handleNodeAtRisk(ctx, ml, signal, undefined);
}

/**
 * A launch failed for lack of capacity: skip that pool for the cooldown, stop asking it for the missing
 * nodes, and launch them in the next usable pool (the next spot pool, else on-demand).
 */
export function handleCapacityError(ctx: MlContext, ml: MlState, signal: CapacityError): ReplacementStep {
  const actions: Action[] = [];
  const holds: Hold[] = [];
  const reasons: string[] = [];
  const pool = poolViews(ctx).find((view) => view.id === signal.poolId);
  const probing = signal.capacityType === 'spot' && ml.returningToSpotAt !== null;
  let next = recordCapacityError(ctx, ml, signal.poolId, signal.code, signal.capacityType === 'spot');
  reasons.push(
    `capacity error ${signal.code} from ${signal.capacityType} pool ${signal.poolId}: skipped for ${ctx.policy.spot.capacityErrorCooldownSeconds} s`,
  );
  if (!pool) {
    holds.push({
      rule: 'unsupported',
      reason: `pool ${signal.poolId} is not a pool of ${ctx.target.id}: nothing to move`,
    });
    return { actions, holds, reasons, ml: next, leavingPoolIds: [] };
  }
  // What the pool was asked for and does not have. Nothing missing (the error repeated, or the count was
  // already taken back): nothing to move, so a repeated error never adds capacity.
  const missing = pool.desired - pool.ready - pool.pending;
  if (ctx.target.kind === 'training-pool' && !probing) {
    // Training capacity follows the job book: the jobs that waited on this pool are placed again (by the
    // training plan in this same decision, which skips the pool while it cools down).
    let jobs = next.jobs;
    for (const [id, job] of Object.entries(jobs)) {
      if (job.poolId !== pool.id || job.launchedAt === null) continue;
      jobs = withEntry(jobs, id, {
        ...job,
        state: job.state === 'launching' ? 'queued' : job.state,
        launchedAt: null,
        poolId: null,
      });
      reasons.push(`job ${id} waited on ${pool.id}: placed again elsewhere`);
    }
    next = { ...next, jobs };
    if (missing > 0)
      actions.push({
        type: 'set-capacity',
        poolId: pool.id,
        from: pool.desired,
        to: pool.ready + pool.pending,
        reason: `stop asking ${pool.id} for the ${missing} node(s) it cannot provide`,
      });
    return { actions, holds, reasons, ml: next, leavingPoolIds: [] };
  }
  if (missing <= 0) {
    reasons.push(
      `${pool.id} asks for nothing it does not have (desired ${pool.desired}, ${pool.ready} ready, ${pool.pending} booting): nothing to move`,
    );
    return { actions, holds, reasons, ml: next, leavingPoolIds: [] };
  }
  actions.push({
    type: 'set-capacity',
    poolId: pool.id,
    from: pool.desired,
    to: pool.ready + pool.pending,
    reason: `stop asking ${pool.id} for the ${missing} node(s) it cannot provide`,
  });
  if (coverApplies(ctx.policy, ctx.target)) {
    // The pool-loss cover lays the target out again at its next decision, without this pool while it cools.
    reasons.push('the pool-loss cover places it again at the next decision (spot.poolLossReserve)');
    return { actions, holds, reasons, ml: next, leavingPoolIds: [] };
  }
  if (probing) {
    // The launch was the first step back from the fallback: on-demand still carries the load, nothing to move.
    reasons.push(
      `the way back to spot failed: on-demand keeps the load; spot is tried again after ${ctx.policy.spot.returnToSpotAfterSeconds} s without trouble`,
    );
    return { actions, holds, reasons, ml: next, leavingPoolIds: [] };
  }
  const total = poolViews(ctx).reduce((sum, view) => sum + view.desired, 0);
  // The move keeps the total; it never takes the target above its maximum.
  const room = Math.max(0, ctx.policy.maxCapacity - (total - missing));
  const moving = Math.min(missing, room);
  if (moving < missing) {
    holds.push({
      rule: 'bounds',
      reason: `${missing - moving} of the ${missing} node(s) ${pool.id} could not provide are not moved: the target would pass its maximum of ${ctx.policy.maxCapacity}`,
    });
  }
  if (moving === 0) return { actions, holds, reasons, ml: next, leavingPoolIds: [] };
  const launching = Object.entries(next.jobs).find(([, job]) => job.state === 'launching' && job.poolId === pool.id);
  const requirement = launching
    ? { minGpus: launching[1].gpusPerNode, ...(launching[1].gpuModel ? { gpuModel: launching[1].gpuModel } : {}) }
    : sameShape(pool);
  const placement = placeCapacity(ctx, next, moving, {
    exclude: [pool.id],
    ...(requirement ? { requirement } : {}),
    totalAfter: total,
  });
  if (!placement.pool) {
    holds.push(unplaced(`${moving} node(s) that ${pool.id} could not provide`, placement.reasons));
    return { actions, holds, reasons, ml: next, leavingPoolIds: [] };
  }
  const reason = `${moving} ${placement.pool.capacityType} ${placement.pool.instanceType} in ${placement.pool.id} instead of ${pool.id}; ${placement.reasons.join('; ')}`;
  actions.push(launch(placement.pool, moving, reason));
  reasons.push(reason);
  next = noteFallback(next, placement, ctx.now);
  if (launching)
    next = {
      ...next,
      jobs: withEntry(next.jobs, launching[0], { ...launching[1], poolId: placement.pool.id, launchedAt: ctx.now }),
    };
  return { actions, holds, reasons, ml: next, leavingPoolIds: [] };
}
