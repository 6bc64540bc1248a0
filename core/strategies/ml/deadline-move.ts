/**
 * The deadline safety net for jobs that are running: one on spot whose slack is gone moves to on-demand
 * (see deadline.ts for the rule and its worked figures).
 */
import type { Action, Hold } from '../../decision.ts';
import type { MlState, TrainingJob } from '../../schema/ml-memory.ts';
import { planForNotice } from './checkpoint.ts';
import { poolViews, type MlContext } from './context.ts';
import { clock, deadlineView, fallbackReason, progressNow } from './deadline.ts';
import { bestOnDemandPool, launch } from './spot.ts';

/** What the move of running jobs to on-demand did; `jobs`, `reserved` and `total` are updated in place. */
export interface DeadlineMoves {
  actions: Action[];
  holds: Hold[];
  reasons: string[];
  ml: MlState;
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
  free: ReadonlyMap<string, readonly string[]>,
  reserved: Set<string>,
  totals: { nodes: number },
  releasedNow: ReadonlySet<string> = new Set(),
): DeadlineMoves {
  const out: DeadlineMoves = { actions: [], holds: [], reasons: [], ml };
  if (!ctx.policy.training.onDemandFallback) return out;
  const views = poolViews(ctx);
  const poolOf = new Map(views.flatMap((pool) => pool.nodes.map((node) => [node.id, pool] as const)));
  const readyNodes = new Set(views.flatMap((pool) => pool.nodes.filter((node) => node.state === 'ready').map((node) => node.id)));
  for (const [id, job] of Object.entries(jobs)) {
    if (job.state !== 'running') continue;
    const onSpot = job.instanceIds.filter((node) => poolOf.get(node)?.capacityType === 'spot');
    // Nothing to move when it has no spot node left, or this decision already releases one (it moved).
    if (onSpot.length === 0 || onSpot.some((node) => releasedNow.has(node))) continue;
    const target = job.poolId !== null ? views.find((pool) => pool.id === job.poolId && pool.capacityType === 'on-demand') : undefined;
    if (job.onDemandForDeadlineAt === null || !target) {
      if (job.onDemandForDeadlineAt !== null) continue;
      const view = deadlineView(ctx, id, { ...job, savedSeconds: progressNow(job, ctx.now) });
      if (!view || view.slackMs > 0 || out.ml.checkpointWaits.some((w) => w.jobId === id)) continue;
      const choice = bestOnDemandPool(ctx, out.ml, [], { minGpus: job.gpusPerNode, ...(job.gpuModel ? { gpuModel: job.gpuModel } : {}) });
      if (!choice.pool) {
        out.holds.push({ rule: 'unsupported', reason: `job ${id}: its slack on spot is gone, but no on-demand pool can take it (${choice.skipped.join('; ') || 'none fits'})` });
        continue;
      }
      if (totals.nodes + onSpot.length > ctx.policy.maxCapacity) {
        out.holds.push({ rule: 'bounds', reason: `job ${id}: its slack on spot is gone, but ${onSpot.length} on-demand node(s) more would pass the maximum of ${ctx.policy.maxCapacity}` });
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
    mine.forEach((node) => reserved.add(node));
    if (out.ml.checkpointWaits.some((w) => w.jobId === id)) continue;
    if (mine.length < onSpot.length || !mine.every((node) => readyNodes.has(node))) continue;
    for (const node of onSpot) {
      const plan = planForNotice(ctx, out.ml, { instanceId: node, pool: poolOf.get(node)! }, id, ctx.now + 5 * ctx.policy.training.checkpointSeconds * 1000, true);
      out.actions.push(...plan.actions);
      out.reasons.push(`job ${id} moves from spot ${node} to on-demand ${mine.join(', ')} in ${target.id} for its deadline ${clock(job.deadlineAt ?? 0)}`, ...plan.reasons);
      out.ml = plan.ml;
    }
    jobs[id] = { ...jobs[id]!, launchedAt: ctx.now };
  }
  return out;
}
