import type { Action } from '../../decision.ts';
import type { MlState } from '../../schema/ml-memory.ts';
import { planForNotice } from './checkpoint.ts';
import { poolViews, usd, type MlContext, type MlStep, type PoolView } from './context.ts';
import { launch, onDemandCount, rankSpotPools, requiredOnDemand } from './spot.ts';
import { own, withEntry } from '../../dictionary.ts';
import { coverApplies } from './pool-loss.ts';

/** A job whose move back to spot was called off is tried again after an hour, not on every tick. */
const MOVE_RETRY_MS = 3_600_000;

/**
 * Back from the on-demand fallback once spot has been quiet for `returnToSpotAfterSeconds`. Inference, in
 * two steps so capacity never dips: launch spot first; once no spot node is pending, shrink on-demand to
 * what the base and share require. Training: each job on surplus on-demand nodes checkpoints and moves.
 */
export function returnToSpot(ctx: MlContext, ml: MlState): MlStep {
  const none: MlStep = { actions: [], holds: [], reasons: [], ml };
  // Inference endpoints return only from a fallback (their first pool may be on-demand by choice); training
  // pools always hold on-demand to the base and share, so jobs left on on-demand move back too.
  if (ml.fallbackSince === null && ctx.target.kind === 'inference-endpoint') return none;
  // With the pool-loss cover the layout moves on-demand back to spot, make-before-break, as soon as spot
  // pools are usable (core/strategies/ml/pool-loss.ts); the quiet period only ends the fallback's placement.
  if (coverApplies(ctx.policy, ctx.target)) return endFallbackWhenQuiet(ctx, ml);
  if (!poolViews(ctx).some((view) => view.capacityType === 'spot')) return none;
  const quietMs = ml.lastSpotTroubleAt === null ? Infinity : ctx.now - ml.lastSpotTroubleAt;
  if (quietMs < ctx.policy.spot.returnToSpotAfterSeconds * 1000) return none;
  const views = poolViews(ctx);
  const total = views.reduce((sum, view) => sum + view.desired, 0);
  const surplus = onDemandCount(ctx) - requiredOnDemand(ctx, total);
  // Most decisions end here with nothing to say: the text below is built only when it is said.
  if (surplus <= 0 && ml.fallbackSince === null && ml.returningToSpotAt === null) return none;
  const quiet =
    quietMs === Infinity
      ? 'no spot trouble seen'
      : `spot quiet for ${Math.round(quietMs / 1000)} s (return after ${ctx.policy.spot.returnToSpotAfterSeconds} s)`;
  if (surplus <= 0) {
    return {
      ...none,
      reasons: [`${quiet}: on-demand fallback over`],
      ml: { ...ml, fallbackSince: null, returningToSpotAt: null },
    };
  }
  if (ctx.target.kind === 'inference-endpoint') return returnInference(ctx, ml, views, surplus, quiet);
  return returnTraining(ctx, ml, views, surplus, quiet);
}

function returnInference(ctx: MlContext, ml: MlState, views: PoolView[], surplus: number, quiet: string): MlStep {
  const spotPending = views.filter((v) => v.capacityType === 'spot').reduce((sum, v) => sum + v.pending, 0);
  if (ml.returningToSpotAt === null) {
    const { ranked, skipped } = rankSpotPools(ctx, ml);
    const best = ranked[0];
    if (!best)
      return { actions: [], holds: [], reasons: [`${quiet}, but no spot pool is usable: ${skipped.join('; ')}`], ml };
    const reason = `${quiet}: ${surplus} spot ${best.pool.instanceType} launched in ${best.pool.id} to take over from on-demand; on-demand shrinks once they are ready`;
    return {
      actions: [launch(best.pool, surplus, reason)],
      holds: [],
      reasons: [reason],
      ml: { ...ml, returningToSpotAt: ctx.now },
    };
  }
  if (spotPending > 0)
    return {
      actions: [],
      holds: [],
      reasons: [`back to spot: ${spotPending} spot replica(s) still booting; on-demand kept until they are ready`],
      ml,
    };
  const actions: Action[] = [];
  let left = surplus;
  const onDemand = views
    .filter((v) => v.capacityType === 'on-demand' && v.desired > 0)
    .sort((a, b) => (b.price ?? 0) - (a.price ?? 0));
  for (const pool of onDemand) {
    const take = Math.min(left, pool.desired - 0);
    if (take <= 0) continue;
    actions.push({
      type: 'set-capacity',
      poolId: pool.id,
      from: pool.desired,
      to: pool.desired - take,
      reason: `back to spot: spot replicas are ready, ${take} on-demand released from ${pool.id}`,
    });
    left -= take;
  }
  return {
    actions,
    holds: [],
    reasons: actions.map((a) => a.reason),
    ml: { ...ml, fallbackSince: null, returningToSpotAt: null },
  };
}

function returnTraining(ctx: MlContext, ml: MlState, views: PoolView[], surplus: number, quiet: string): MlStep {
  const actions: Action[] = [];
  const reasons: string[] = [];
  const waiting = new Set(ml.checkpointWaits.map((w) => w.instanceId));
  // A job whose last move was called off (no checkpoint in time) is tried again after an hour, not every tick.
  // A job that went to on-demand for its deadline stays there until it finishes (one switch cost, paid once).
  const movable = (jobId: string | undefined) => {
    if (jobId === undefined) return false;
    if ((own(ml.jobs, jobId)?.onDemandForDeadlineAt ?? null) !== null) return false;
    const calledOff = own(ml.jobs, jobId)?.moveCalledOffAt ?? null;
    return calledOff === null || ctx.now - calledOff >= MOVE_RETRY_MS;
  };
  const movers = views
    .filter((v) => v.capacityType === 'on-demand')
    .flatMap((pool) =>
      pool.nodes
        .filter((n) => movable(n.jobId) && n.state === 'ready' && !waiting.has(n.id))
        .map((node) => ({ pool, node })),
    )
    .slice(0, surplus);
  if (movers.length === 0) {
    if (ml.checkpointWaits.some((w) => w.planned)) return { actions, holds: [], reasons, ml }; // moves under way
    // Surplus on-demand nodes without a job are left to the idle timeout; new capacity goes to spot.
    if (ml.fallbackSince === null && ml.returningToSpotAt === null) return { actions, holds: [], reasons, ml };
    return {
      actions,
      holds: [],
      reasons: [`${quiet}: on-demand fallback over; new capacity goes to spot again`],
      ml: { ...ml, fallbackSince: null, returningToSpotAt: null },
    };
  }
  const busy = new Set(Object.values(ml.jobs).flatMap((job) => job.instanceIds));
  const spotViews = views.filter((v) => v.capacityType === 'spot');
  const freeSpot = spotViews.flatMap((pool) =>
    pool.nodes.filter((n) => n.state === 'ready' && !n.jobId && !busy.has(n.id)).map((node) => ({ pool, node })),
  );
  const bootingSpot = spotViews.reduce((sum, v) => sum + v.pending, 0);
  // Step 1: launch spot nodes first, so a failed launch costs the running jobs nothing.
  if (ml.returningToSpotAt === null) {
    const needed = movers.length - freeSpot.length - bootingSpot;
    if (needed > 0) {
      const { ranked, skipped } = rankSpotPools(ctx, ml);
      const best = ranked[0];
      if (!best)
        return { actions, holds: [], reasons: [`${quiet}, but no spot pool is usable: ${skipped.join('; ')}`], ml };
      const reason = `${quiet}: ${needed} spot ${best.pool.instanceType} launched in ${best.pool.id} for the job(s) on on-demand; they move after a checkpoint once the nodes are ready`;
      return {
        actions: [launch(best.pool, needed, reason)],
        holds: [],
        reasons: [reason],
        ml: { ...ml, returningToSpotAt: ctx.now },
      };
    }
  }
  // Step 2: once spot nodes are up and free, each job checkpoints and moves; its on-demand node goes after.
  if (freeSpot.length === 0) {
    const pending = bootingSpot;
    if (
      pending === 0 &&
      ml.returningToSpotAt !== null &&
      ctx.now - ml.returningToSpotAt >= ctx.policy.training.launchTimeoutSeconds * 1000
    ) {
      return {
        actions,
        holds: [],
        reasons: [
          `back to spot: no spot node came up within ${ctx.policy.training.launchTimeoutSeconds} s; trying again`,
        ],
        ml: { ...ml, returningToSpotAt: null },
      };
    }
    return { actions, holds: [], reasons: [`back to spot: waiting for the spot node(s) to be ready`], ml };
  }
  let next: MlState = ml;
  for (const [i, { pool, node }] of movers.entries()) {
    const target = freeSpot[i];
    if (!target) break;
    // A planned move has time: the job keeps running on on-demand until its checkpoint is in.
    const plan = planForNotice(
      ctx,
      next,
      { instanceId: node.id, pool },
      node.jobId!,
      ctx.now + 5 * ctx.policy.training.checkpointSeconds * 1000,
      true,
    );
    const reason = `${quiet}: job ${node.jobId} moves from on-demand ${pool.id} (${usd(pool.price ?? 0)}/h) to spot ${target.node.id} in ${target.pool.id} (${usd(target.pool.price ?? 0)}/h) after a checkpoint`;
    actions.push(...plan.actions);
    reasons.push(reason, ...plan.reasons);
    next = plan.ml;
    const job = own(next.jobs, node.jobId!);
    if (job)
      next = {
        ...next,
        jobs: withEntry(next.jobs, node.jobId!, { ...job, launchedAt: ctx.now, poolId: target.pool.id }),
      };
  }
  // The moves are under way (their waits are in memory); the next round starts from step 1 if needed.
  return { actions, holds: [], reasons, ml: { ...next, fallbackSince: null, returningToSpotAt: null } };
}

/**
 * While spot replicas launched to take over from the on-demand fallback boot, the target holds both: a
 * scale-in then would see the doubles as surplus and take the ready on-demand replicas first (the spread's
 * order), leaving only booting ones. Returns the hold's reason while that is so (inference endpoints).
 */
export function scaleInHeldWhileReturning(ctx: MlContext, ml: MlState): string | undefined {
  if (ml.returningToSpotAt === null || ctx.target.kind !== 'inference-endpoint') return undefined;
  const booting = poolViews(ctx)
    .filter((view) => view.capacityType === 'spot')
    .reduce((sum, view) => sum + view.pending, 0);
  if (booting === 0) return undefined;
  return `scale-in held: back to spot, ${booting} spot replica(s) still booting to take over from on-demand, which is released once they are ready`;
}

/** The fallback ends once spot has been quiet for `returnToSpotAfterSeconds`; the cover's layout does the moving. */
function endFallbackWhenQuiet(ctx: MlContext, ml: MlState): MlStep {
  const quietMs = ml.lastSpotTroubleAt === null ? Infinity : ctx.now - ml.lastSpotTroubleAt;
  if (quietMs < ctx.policy.spot.returnToSpotAfterSeconds * 1000) return { actions: [], holds: [], reasons: [], ml };
  return {
    actions: [],
    holds: [],
    reasons: ['spot quiet: on-demand fallback over (the pool-loss cover moves on-demand back to spot)'],
    ml: { ...ml, fallbackSince: null, returningToSpotAt: null },
  };
}
