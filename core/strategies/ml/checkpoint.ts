import type { Action } from '../../decision.ts';
import { ML_MEMORY_LIMITS, type MlState, type TrainingJob } from '../../schema/ml-memory.ts';
import { poolViews, type MlContext, type PoolView } from './context.ts';
import { own, withEntry } from '../../dictionary.ts';

const HOUR_MS = 3_600_000;

/** The job running on a node: from the provider's node report, else from the job events. */
export function jobOfNode(
  ctx: MlContext,
  ml: MlState,
  instanceId: string,
): { jobId: string; job?: TrainingJob } | undefined {
  for (const pool of ctx.observed.pools) {
    const node = pool.nodes?.find((candidate) => candidate.id === instanceId);
    if (node?.jobId) {
      const job = own(ml.jobs, node.jobId);
      return { jobId: node.jobId, ...(job ? { job } : {}) };
    }
  }
  for (const [jobId, job] of Object.entries(ml.jobs)) {
    if (job.state === 'running' && job.instanceIds.includes(instanceId)) return { jobId, job };
  }
  return undefined;
}

/** GPUs a job holds: all of them stop when one node of a gang goes. */
export function jobGpus(job: TrainingJob | undefined, pool: PoolView | undefined): number {
  if (job) return job.gpusPerNode * job.nodeCount;
  return pool?.info?.gpus ?? 1;
}

/** Work since the job's last checkpoint (or its start, if later), GPU-hours, up to `at`. */
export function workAtRisk(job: TrainingJob | undefined, pool: PoolView | undefined, at: number): number {
  if (!job) return 0;
  const since = Math.max(job.lastCheckpointAt ?? 0, job.startedAt ?? 0);
  if (since === 0 || at <= since) return 0;
  return (jobGpus(job, pool) * (at - since)) / HOUR_MS;
}

function gpuHours(value: number): string {
  return `${Math.round(value * 100) / 100} GPU-hours`;
}

/** What to do for a training node that will be taken (or is at risk). */
export interface NoticePlan {
  actions: Action[];
  reasons: string[];
  ml: MlState;
  /** Keep the node running and do nothing now (a checkpoint fits in the notice that would come). */
  rideOut: boolean;
  /** The node stays until a checkpoint is acknowledged or the deadline passes. */
  waiting: boolean;
}

/** Notice lead the provider gives: AWS 2 min; Google Cloud and Azure about 30 s. */
export function expectedNoticeSeconds(ctx: MlContext): number {
  const configured = ctx.policy.training.expectedNoticeSeconds;
  return ctx.target.provider === 'gcp' || ctx.target.provider === 'azure' ? Math.min(configured, 30) : configured;
}

/**
 * A training node will be taken at `deadlineAt` (interruption notice) or may be (rebalance recommendation,
 * `deadlineAt` undefined). With a deadline: ask for a checkpoint when one fits before it, else release the
 * node at once and count the work since the last checkpoint as lost. Without a deadline: ride it out when a
 * checkpoint fits in the notice that would come; otherwise checkpoint now and move.
 */
export function planForNotice(
  ctx: MlContext,
  ml: MlState,
  node: { instanceId: string; pool: PoolView },
  jobId: string,
  deadlineAt: number | undefined,
  planned = false,
): NoticePlan {
  const job = own(ml.jobs, jobId);
  const need = ctx.policy.training.checkpointSeconds;
  const reasons: string[] = [];
  if (deadlineAt === undefined) {
    const lead = expectedNoticeSeconds(ctx);
    if (need <= lead) {
      reasons.push(
        `job ${jobId} rides out the rebalance recommendation on ${node.instanceId}: a checkpoint (${need} s) fits in the ${lead} s notice that would come, and moving now would cost a restart`,
      );
      return { actions: [], reasons, ml, rideOut: true, waiting: false };
    }
    deadlineAt = ctx.now + 2 * need * 1000;
    reasons.push(
      `job ${jobId} moves now: a checkpoint (${need} s) would not fit in the ${lead} s notice that would come`,
    );
  }
  const leadSeconds = Math.round((deadlineAt - ctx.now) / 1000);
  if (need <= leadSeconds) {
    const wait = {
      jobId,
      instanceId: node.instanceId,
      poolId: node.pool.id,
      requestedAt: ctx.now,
      deadlineAt,
      planned,
    };
    const waits = [...ml.checkpointWaits.filter((w) => w.instanceId !== node.instanceId), wait].slice(
      -ML_MEMORY_LIMITS.checkpointWaits,
    );
    const reason = `job ${jobId}: checkpoint requested (${need} s to write, ${leadSeconds} s before ${node.instanceId} goes); the node is released once the checkpoint is acknowledged or at the deadline`;
    reasons.push(reason);
    return {
      actions: [{ type: 'request-checkpoint', jobId, instanceIds: [node.instanceId], deadlineAt, reason }],
      reasons,
      ml: { ...ml, checkpointWaits: waits },
      rideOut: false,
      waiting: true,
    };
  }
  const lost = workAtRisk(job, node.pool, deadlineAt);
  const reason = `job ${jobId} cannot checkpoint in time (needs ${need} s, ${leadSeconds} s left): ${node.instanceId} released now; ${gpuHours(lost)} since its last checkpoint are lost`;
  reasons.push(reason);
  return {
    actions: [{ type: 'drain-and-release', poolId: node.pool.id, instanceId: node.instanceId, reason }],
    reasons,
    ml: { ...ml, lostGpuHours: ml.lostGpuHours + lost },
    rideOut: false,
    waiting: false,
  };
}

function observedNode(ctx: MlContext, instanceId: string): boolean {
  return ctx.observed.pools.some((pool) => pool.nodes?.some((node) => node.id === instanceId));
}

/** A checkpoint was acknowledged: release the nodes that waited for it. */
export function releaseOnAcknowledge(
  ctx: MlContext,
  ml: MlState,
  jobId: string,
  checkpointAt: number,
): { actions: Action[]; reasons: string[]; ml: MlState } {
  const actions: Action[] = [];
  const reasons: string[] = [];
  const job = own(ml.jobs, jobId);
  const views = poolViews(ctx);
  for (const wait of ml.checkpointWaits.filter((w) => w.jobId === jobId)) {
    const reason = `job ${jobId} acknowledged its checkpoint ${Math.round((ctx.now - checkpointAt) / 1000)} s ago: ${wait.instanceId} released`;
    if (observedNode(ctx, wait.instanceId) || views.some((v) => v.id === wait.poolId && v.nodes.length === 0)) {
      actions.push({ type: 'drain-and-release', poolId: wait.poolId, instanceId: wait.instanceId, reason });
    }
    reasons.push(reason);
  }
  const lost = job
    ? workAtRisk(
        { ...job, lastCheckpointAt: checkpointAt },
        undefined,
        Math.min(ctx.now, ...ml.checkpointWaits.filter((w) => w.jobId === jobId).map((w) => w.deadlineAt)),
      )
    : 0;
  return {
    actions,
    reasons,
    ml: {
      ...ml,
      checkpointWaits: ml.checkpointWaits.filter((w) => w.jobId !== jobId),
      lostGpuHours: ml.lostGpuHours + lost,
    },
  };
}

/** Waits whose deadline passed without an acknowledgement: release the node, count the work as lost. */
export function expireCheckpointWaits(
  ctx: MlContext,
  ml: MlState,
): { actions: Action[]; reasons: string[]; ml: MlState } {
  const actions: Action[] = [];
  const reasons: string[] = [];
  // Most decisions have no checkpoint wait at all: nothing to expire, the state as it was.
  if (ml.checkpointWaits.length === 0) return { actions, reasons, ml };
  let lostGpuHours = ml.lostGpuHours;
  let jobs = ml.jobs;
  const views = poolViews(ctx);
  const kept = [];
  const countedJobs = new Set<string>();
  for (const wait of ml.checkpointWaits) {
    if (wait.deadlineAt > ctx.now) {
      kept.push(wait);
      continue;
    }
    if (wait.planned) {
      if (!observedNode(ctx, wait.instanceId)) continue; // the node is gone already: nothing to call off
      reasons.push(
        `job ${wait.jobId} did not acknowledge the checkpoint for its move by the deadline: the move is called off, it keeps running on ${wait.instanceId}`,
      );
      const job = own(jobs, wait.jobId);
      if (job) jobs = withEntry(jobs, wait.jobId, { ...job, moveCalledOffAt: ctx.now });
      continue;
    }
    const job = own(ml.jobs, wait.jobId);
    const pool = views.find((v) => v.id === wait.poolId);
    const lost = countedJobs.has(wait.jobId) ? 0 : workAtRisk(job, pool, wait.deadlineAt);
    countedJobs.add(wait.jobId);
    lostGpuHours += lost;
    const reason = `job ${wait.jobId} did not acknowledge its checkpoint by the deadline: ${wait.instanceId} released; ${gpuHours(lost)} since its last checkpoint are lost`;
    if (observedNode(ctx, wait.instanceId))
      actions.push({ type: 'drain-and-release', poolId: wait.poolId, instanceId: wait.instanceId, reason });
    reasons.push(reason);
  }
  return { actions, reasons, ml: { ...ml, jobs, checkpointWaits: kept, lostGpuHours } };
}
