/**
 * Deadline moves of running jobs: one on spot whose slack is gone moves to on-demand (the safety net), and one
 * on on-demand for its deadline moves back to spot once it can afford to (see deadline.ts for the rules and
 * their worked figures).
 */
import type { Action, Hold } from '../../decision.ts';
import type { MlState, TrainingJob } from '../../schema/ml-memory.ts';
import { planForNotice } from './checkpoint.ts';
import { nodeIndex, type MlContext, type PoolView } from './context.ts';
import { clock, deadlineView, duration, fallbackReason, progressNow, returnMarginSeconds } from './deadline.ts';
import { bestOnDemandPool, launch, rankSpotPools } from './spot.ts';
import { lineText, uniformLine } from './uniform-progress.ts';

/** What the move of running jobs to on-demand did; `jobs`, `reserved` and `total` are updated in place. */
export interface DeadlineMoves {
  actions: Action[];
  holds: Hold[];
  reasons: string[];
  ml: MlState;
}

/** What the training pass knows of the nodes while it places jobs; both moves read and update it. */
export interface NodeLedger {
  /** Ready or booting nodes without a job, per pool. */
  free: ReadonlyMap<string, readonly string[]>;
  /** Nodes already promised to a job in this decision. */
  reserved: Set<string>;
  /** Nodes of the target after this decision's launches so far. */
  totals: { nodes: number };
  /** Nodes this decision releases. */
  releasedNow: ReadonlySet<string>;
}

/**
 * The safety net while a job runs: a job on spot whose slack is gone (counting what a checkpoint now would
 * secure) moves to on-demand and stays there. Step 1: launch its on-demand nodes while it keeps running on
 * spot (the boot costs it nothing). Step 2: once they are ready, it checkpoints and moves (a planned move,
 * as the return to spot does); its spot nodes go once the checkpoint is acknowledged. The on-demand nodes
 * are reserved for it meanwhile, so no other job or the idle timeout takes them.
 */
export function moveForDeadlines(
  ctx: MlContext,
  ml: MlState,
  jobs: Record<string, TrainingJob>,
  { free, reserved, totals, releasedNow }: NodeLedger,
): DeadlineMoves {
  const out: DeadlineMoves = { actions: [], holds: [], reasons: [], ml };
  if (!ctx.policy.training.onDemandFallback) return out;
  const { views, poolOf, readyNodes } = nodeIndex(ctx);
  // for…in, not Object.entries: no array of pairs per decision (the job book is a null-prototype map, and
  // only the entry in hand is reassigned while it runs, so the order and the values read are the same).
  for (const id in jobs) {
    const job = jobs[id]!;
    if (job.state !== 'running') continue;
    const onSpot = job.instanceIds.filter((node) => poolOf.get(node)?.capacityType === 'spot');
    // Nothing to move when it has no spot node left, or this decision already releases one (it moved).
    if (onSpot.length === 0 || onSpot.some((node) => releasedNow.has(node))) continue;
    const target =
      job.poolId !== null
        ? views.find((pool) => pool.id === job.poolId && pool.capacityType === 'on-demand')
        : undefined;
    if (job.onDemandForDeadlineAt === null || !target) {
      if (job.onDemandForDeadlineAt !== null) continue;
      const view = deadlineView(ctx, id, job, progressNow(job, ctx.now));
      if (!view || view.slackMs > 0 || out.ml.checkpointWaits.some((w) => w.jobId === id)) continue;
      const choice = bestOnDemandPool(ctx, out.ml, [], {
        minGpus: job.gpusPerNode,
        ...(job.gpuModel ? { gpuModel: job.gpuModel } : {}),
      });
      if (!choice.pool) {
        out.holds.push({
          rule: 'unsupported',
          reason: `job ${id}: its slack on spot is gone, but no on-demand pool can take it (${choice.skipped.join('; ') || 'none fits'})`,
        });
        continue;
      }
      if (totals.nodes + onSpot.length > ctx.policy.maxCapacity) {
        out.holds.push({
          rule: 'bounds',
          reason: `job ${id}: its slack on spot is gone, but ${onSpot.length} on-demand node(s) more would pass the maximum of ${ctx.policy.maxCapacity}`,
        });
        continue;
      }
      const reason = `${fallbackReason(ctx, view)}; ${onSpot.length} on-demand ${choice.pool.instanceType} launched in ${choice.pool.id} while it keeps running on spot; it moves there after a checkpoint once they are ready`;
      out.actions.push(launch(choice.pool, onSpot.length, reason));
      out.reasons.push(reason);
      totals.nodes += onSpot.length;
      jobs[id] = { ...job, onDemandForDeadlineAt: ctx.now, poolId: choice.pool.id, launchedAt: ctx.now };
      continue;
    }
    // Step 2: its on-demand nodes, reserved; once they are ready and no checkpoint is under way, it moves.
    const mine = (free.get(target.id) ?? []).filter((node) => !reserved.has(node)).slice(0, onSpot.length);
    for (const node of mine) reserved.add(node);
    if (out.ml.checkpointWaits.some((w) => w.jobId === id)) continue;
    if (mine.length < onSpot.length || !mine.every((node) => readyNodes.has(node))) continue;
    moveAfterCheckpoint(
      ctx,
      out,
      id,
      onSpot,
      poolOf,
      `job ${id} moves from spot ${onSpot.join(', ')} to on-demand ${mine.join(', ')} in ${target.id} for its deadline ${clock(job.deadlineAt ?? 0)}`,
    );
    jobs[id] = { ...jobs[id]!, launchedAt: ctx.now };
  }
  return out;
}

/** A job whose move back to spot was called off (no checkpoint in time) is tried again after an hour. */
const MOVE_RETRY_MS = 3_600_000;

/** A planned move: the job checkpoints on `from` (it keeps running there); each node goes once it is acknowledged. */
function moveAfterCheckpoint(
  ctx: MlContext,
  out: DeadlineMoves,
  jobId: string,
  from: readonly string[],
  poolOf: ReadonlyMap<string, PoolView>,
  reason: string,
): void {
  out.reasons.push(reason);
  for (const node of from) {
    const plan = planForNotice(
      ctx,
      out.ml,
      { instanceId: node, pool: poolOf.get(node)! },
      jobId,
      ctx.now + 5 * ctx.policy.training.checkpointSeconds * 1000,
      true,
    );
    out.actions.push(...plan.actions);
    out.reasons.push(...plan.reasons);
    out.ml = plan.ml;
  }
}

/**
 * The way back: a job running on on-demand for its deadline moves back to spot once spot is usable again (a spot
 * pool ranks as usable, no spot trouble for `spot.returnToSpotAfterSeconds`) and its slack, counted as if it
 * moved now, is at least the return margin (deadline.ts: one more switch + the move's checkpoint, so losing spot
 * right after the move still leaves time to fall back). Slack never grows, so the job cannot thrash: every
 * round trip spends slack (the move's checkpoint and load, the fallback's boot and load), and below the margin
 * it stays. Same two steps as the move to on-demand: launch spot while it keeps running on on-demand; once
 * ready, checkpoint and move, its on-demand nodes released on the acknowledgement. A failed spot launch
 * (capacity error) leaves it on on-demand; it is tried again after the quiet period.
 * Worked example (defaults, return margin 8 min): on on-demand since 17:00Z with 4 h left of a job due 23:00Z
 * at 18:00Z: slack = 23:00 - 18:00 - 4 h - 7 min - 15 min = 38 min >= 8 min, so it moves back once spot is quiet.
 */
export function returnForDeadlines(
  ctx: MlContext,
  ml: MlState,
  jobs: Record<string, TrainingJob>,
  { free, reserved, totals, releasedNow }: NodeLedger,
): DeadlineMoves {
  const out: DeadlineMoves = { actions: [], holds: [], reasons: [], ml };
  const { views, poolOf, readyNodes } = nodeIndex(ctx);
  const marginMs = returnMarginSeconds(ctx) * 1000;
  const quietNeedMs = ctx.policy.spot.returnToSpotAfterSeconds * 1000;
  for (const id in jobs) {
    const job = jobs[id]!;
    if (job.state !== 'running' || job.onDemandForDeadlineAt === null || job.instanceIds.length === 0) continue;
    const onDemand = job.instanceIds.filter((node) => poolOf.get(node)?.capacityType === 'on-demand');
    if (
      onDemand.length !== job.instanceIds.length ||
      onDemand.some((node) => releasedNow.has(node)) ||
      out.ml.checkpointWaits.some((w) => w.jobId === id)
    )
      continue;
    const ifMoved = { ...job, savedSeconds: progressNow(job, ctx.now) };
    const view = deadlineView(ctx, id, ifMoved);
    if (!view) continue;
    const line = uniformLine(ctx, ifMoved);
    const slack = `${view.slackMs < 0 ? '-' : ''}${duration(view.slackMs)} of slack if it moved now (return margin ${duration(marginMs)})${line ? `, ${lineText(line)}` : ''}`;
    const troubleAt = out.ml.lastSpotTroubleAt;
    const target =
      job.poolId !== null ? views.find((pool) => pool.id === job.poolId && pool.capacityType === 'spot') : undefined;
    if (target && job.launchedAt !== null) {
      // Step 2: its spot nodes, reserved; called off if spot had trouble since the launch or they did not come up.
      const mine = (free.get(target.id) ?? []).filter((node) => !reserved.has(node)).slice(0, onDemand.length);
      const ready = mine.length === onDemand.length && mine.every((node) => readyNodes.has(node));
      const timedOut = ctx.now - job.launchedAt >= ctx.policy.training.launchTimeoutSeconds * 1000;
      const trouble = troubleAt !== null && troubleAt >= job.launchedAt;
      const noCheckpoint = job.moveCalledOffAt !== null && job.moveCalledOffAt >= job.launchedAt;
      if (trouble || noCheckpoint || (!ready && timedOut)) {
        const why = trouble
          ? `spot had trouble ${duration(ctx.now - troubleAt!)} ago`
          : noCheckpoint
            ? 'no checkpoint came in time for it'
            : `its spot node(s) did not come up within ${ctx.policy.training.launchTimeoutSeconds} s`;
        out.reasons.push(
          `job ${id}: the move back to spot is called off (${why}); it stays on on-demand ${onDemand.join(', ')}, ${slack}`,
        );
        jobs[id] = { ...job, poolId: poolOf.get(onDemand[0]!)!.id, launchedAt: null };
        continue;
      }
      for (const node of mine) reserved.add(node);
      if (!ready) continue;
      if (view.slackMs < marginMs) {
        out.reasons.push(`job ${id}: the move back to spot is called off: ${slack}`);
        jobs[id] = { ...job, poolId: poolOf.get(onDemand[0]!)!.id, launchedAt: null };
        continue;
      }
      moveAfterCheckpoint(
        ctx,
        out,
        id,
        onDemand,
        poolOf,
        `job ${id} moves back from on-demand ${onDemand.join(', ')} to spot ${mine.join(', ')} in ${target.id}: ${slack}`,
      );
      jobs[id] = { ...job, launchedAt: ctx.now };
      continue;
    }
    // Step 1: is spot usable again, and can the job afford the move?
    const quietMs = troubleAt === null ? Infinity : ctx.now - troubleAt;
    if (quietMs < quietNeedMs) continue; // spot is out or just back: the job waits on on-demand (nothing to say every tick)
    if (job.moveCalledOffAt !== null && ctx.now - job.moveCalledOffAt < MOVE_RETRY_MS) continue; // as return-to-spot.ts
    const { ranked, skipped } = rankSpotPools(ctx, out.ml, [], {
      minGpus: job.gpusPerNode,
      ...(job.gpuModel ? { gpuModel: job.gpuModel } : {}),
    });
    const best = ranked[0];
    if (!best) continue;
    if (view.slackMs < marginMs) {
      out.holds.push({
        rule: 'deadline-slack',
        reason: `job ${id} stays on on-demand for its deadline ${clock(view.deadlineAt)}: spot is usable again, but it has ${slack}`,
      });
      continue;
    }
    if (totals.nodes + onDemand.length > ctx.policy.maxCapacity) {
      out.holds.push({
        rule: 'bounds',
        reason: `job ${id} stays on on-demand: ${slack}, but ${onDemand.length} spot node(s) more would pass the maximum of ${ctx.policy.maxCapacity}`,
      });
      continue;
    }
    const quiet = quietMs === Infinity ? 'no spot trouble seen' : `spot quiet for ${duration(quietMs)}`;
    const reason = `job ${id}: back to spot from on-demand (its deadline ${clock(view.deadlineAt)}): ${slack}, ${quiet}; ${onDemand.length} spot ${best.pool.instanceType} launched in ${best.pool.id} while it keeps running on on-demand; it moves there after a checkpoint once they are ready${skipped.length > 0 ? ` (${skipped.join('; ')})` : ''}`;
    out.actions.push(launch(best.pool, onDemand.length, reason));
    out.reasons.push(reason);
    totals.nodes += onDemand.length;
    jobs[id] = { ...job, poolId: best.pool.id, launchedAt: ctx.now };
  }
  return out;
}
