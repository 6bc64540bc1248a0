/**
 * Deadline-aware on-demand fallback for training jobs: the "greedy with a safety net" policy of Wu et al.,
 * "Can't Be Late: Optimizing Spot Instance Savings under Deadlines" (NSDI 2024). A job that says when it must
 * be done uses spot whenever spot can take it; when none can, it waits for spot while its slack lasts, and
 * goes on-demand while it still keeps a reserve of slack (the return margin + one switch), so that it can come
 * back to spot once spot is back (deadline-move.ts, `returnForDeadlines`). The safety net: a job whose slack is
 * gone goes on-demand even if spot could take it, and stays there.
 *
 *   slack = deadline - now - remaining run time - (node boot + job load) - deadlineSafetySeconds
 *
 * Why a reserve: slack never grows. It shrinks while the job does not progress (waiting, booting, loading,
 * checkpointing, lost work) and stays put while it runs. A job that waits for spot until its slack is 0 (pure
 * greedy) can never afford another switch, so it stays on on-demand to the end, hours after spot is back.
 *
 * Worked example (the defaults: boot 300 s, load 120 s, checkpoint 60 s, margin 900 s; return margin
 * 7 min + 1 min = 8 min, reserve 8 min + 7 min + 1 min = 16 min): a 6 h job queued at 00:00 with a deadline at 09:00
 * (50 % slack), preempted at 02:00 with 1 h 30 min secured by its last checkpoint, has 4 h 30 min left:
 * slack = 9 h - 2 h - 4 h 30 min - 7 min - 15 min = 2 h 8 min, so it waits for spot and goes on-demand from
 * 03:52 (16 min of slack left) if spot is still out then. Running there from 03:59 it has 9 min of slack,
 * and moves back to spot once spot has been quiet for `spot.returnToSpotAfterSeconds`.
 *
 * Why the margin: decisions come on ticks (a minute apart), and a spot launch made with a little slack left
 * may be lost before the job progresses (boot + load); the margin has to cover both, or the deadline can be
 * missed by that much. Work since the last checkpoint that a preemption throws away is covered by asking for a
 * checkpoint once losing it would leave no slack (`protectDeadlines`): a checkpoint that fails inside the
 * notice then costs at most the margin, not the deadline. A job running on spot whose slack is gone even
 * with a checkpoint now moves to on-demand before any notice (deadline-move.ts).
 */
import type { Action } from '../../decision.ts';
import type { JobEvent } from '../../schema/signal.ts';
import type { MlState, TrainingJob } from '../../schema/ml-memory.ts';
import type { MlContext } from './context.ts';
import { withEntry } from '../../dictionary.ts';
import { isoTime } from '../../format.ts';

/** The deadline fields of a job just queued: from the event, else the policy's default slack. */
export function deadlineOfQueued(ctx: MlContext, event: JobEvent): Pick<TrainingJob, 'runSeconds' | 'deadlineAt'> {
  const runSeconds = event.runSeconds ?? null;
  const slackPercent = ctx.policy.training.defaultDeadlineSlackPercent;
  let deadlineAt = event.deadlineAt ?? null;
  if (deadlineAt === null && runSeconds !== null && slackPercent !== null) {
    deadlineAt = event.observedAt + Math.round(runSeconds * 1000 * (1 + slackPercent / 100));
  }
  return { runSeconds, deadlineAt };
}

/** Job started on its nodes at `at`: it progresses once it has loaded. */
export function progressOnStart(ctx: MlContext, job: TrainingJob, at: number): TrainingJob {
  return {
    ...job,
    resumedFromSeconds: job.savedSeconds,
    progressingSince: at + ctx.policy.training.jobLoadSeconds * 1000,
  };
}

/**
 * A checkpoint taken at `at` secures the progress made until then. Acknowledged at `acknowledgedAt`, progress
 * counts again from there: writing it may have paused training (it does in the spot bench), and counting the
 * time in between as progress would overstate it; not counting it errs on the early side of the deadline.
 */
export function progressOnCheckpoint(job: TrainingJob, at: number, acknowledgedAt?: number): TrainingJob {
  if (job.progressingSince === null) return job;
  const made = job.resumedFromSeconds + Math.max(0, at - job.progressingSince) / 1000;
  const saved = Math.min(job.runSeconds ?? Infinity, Math.max(job.savedSeconds, made));
  if (acknowledgedAt === undefined) return { ...job, savedSeconds: saved };
  return {
    ...job,
    savedSeconds: saved,
    resumedFromSeconds: saved,
    progressingSince: Math.max(job.progressingSince, acknowledgedAt),
  };
}

/** The job lost its nodes: the next placement resumes from the last checkpoint. */
export function progressOnPreempt(job: TrainingJob): TrainingJob {
  return { ...job, progressingSince: null };
}

/** Running time a new placement of the job still needs, seconds (what its last checkpoint does not hold). */
export function remainingSeconds(job: TrainingJob): number {
  return Math.max(0, (job.runSeconds ?? 0) - job.savedSeconds);
}

/** What a switch to new nodes costs before the job progresses again, seconds: boot + load. */
export function switchSeconds(ctx: MlContext): number {
  return ctx.policy.training.nodeBootSeconds + ctx.policy.training.jobLoadSeconds;
}

/**
 * Slack a job on on-demand for its deadline needs to move back to spot, seconds (as if it moved now): the policy's
 * `returnToSpotSlackSeconds`, else one more switch (boot + load) plus the move's checkpoint. With it, a job that
 * loses spot right after moving back can still fall back to on-demand in time.
 */
export function returnMarginSeconds(ctx: MlContext): number {
  return ctx.policy.training.returnToSpotSlackSeconds ?? switchSeconds(ctx) + ctx.policy.training.checkpointSeconds;
}

/**
 * Slack a job waiting for spot keeps when it goes on-demand, seconds: the return margin, plus the switch there,
 * plus one checkpoint time. Decisions come on ticks, so the switch starts up to a tick (a minute) after the slack
 * reached the reserve; the checkpoint time (60 s by default) absorbs that, so the job still has the return
 * margin once it runs on on-demand. Defaults: 8 + 7 + 1 = 16 min.
 */
export function reserveSeconds(ctx: MlContext): number {
  return returnMarginSeconds(ctx) + switchSeconds(ctx) + ctx.policy.training.checkpointSeconds;
}

/** A job's deadline as the placement sees it. */
export interface DeadlineView {
  jobId: string;
  deadlineAt: number;
  remainingSeconds: number;
  /** Milliseconds the job can still wait before it must go on-demand (<= 0: it must go now). */
  slackMs: number;
  /** It went to on-demand for its deadline before: it stays there. */
  onDemandSince: number | null;
}

/**
 * The deadline view of a job, or undefined when it has none (no deadline or no run time). `savedSeconds`: as if
 * that much were secured (what a checkpoint now would hold), without a copy of the job for it.
 */
export function deadlineView(
  ctx: MlContext,
  jobId: string,
  job: TrainingJob,
  savedSeconds: number = job.savedSeconds,
): DeadlineView | undefined {
  if (job.deadlineAt === null || job.runSeconds === null) return undefined;
  const remaining = Math.max(0, job.runSeconds - savedSeconds);
  const slackMs =
    job.deadlineAt - ctx.now - (remaining + switchSeconds(ctx) + ctx.policy.training.deadlineSafetySeconds) * 1000;
  return {
    jobId,
    deadlineAt: job.deadlineAt,
    remainingSeconds: remaining,
    slackMs,
    onDemandSince: job.onDemandForDeadlineAt,
  };
}

/** `2 h 10 min`, `7 min`, `45 s`. */
export function duration(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  const hours = Math.floor(minutes / 60);
  if (hours === 0) return `${minutes} min`;
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

/** `2026-03-02T09:00Z`; `06:50Z` when it is the same UTC day as `now`. */
export function clock(at: number, now?: number): string {
  const text = `${isoTime(at).slice(0, 16)}Z`;
  return now !== undefined && text.slice(0, 10) === isoTime(now).slice(0, 10) ? text.slice(11) : text;
}

function budget(ctx: MlContext, view: DeadlineView): string {
  return `${duration(view.remainingSeconds * 1000)} of run time left, ${duration(switchSeconds(ctx) * 1000)} to switch, ${duration(ctx.policy.training.deadlineSafetySeconds * 1000)} margin`;
}

/** Why the job waits for spot instead of going on-demand. */
export function waitReason(ctx: MlContext, view: DeadlineView): string {
  const reserveMs = reserveSeconds(ctx) * 1000;
  return `job ${view.jobId}: waiting for spot, ${duration(view.slackMs)} of slack before its deadline ${clock(view.deadlineAt)} (${budget(ctx, view)}); on-demand from ${clock(ctx.now + view.slackMs - reserveMs, ctx.now)} if spot is still out (keeping ${duration(reserveMs)} of slack to come back to spot)`;
}

/** Why the job goes on-demand now while it still has slack: so it can come back to spot. */
export function reserveReason(ctx: MlContext, view: DeadlineView): string {
  return `job ${view.jobId}: on-demand for its deadline ${clock(view.deadlineAt)} while spot is out: ${duration(view.slackMs)} of slack left, at or below the ${duration(reserveSeconds(ctx) * 1000)} it keeps to come back to spot (${budget(ctx, view)}); back to spot once spot is quiet and it has ${duration(returnMarginSeconds(ctx) * 1000)} of slack`;
}

/** Why the job goes on-demand now for its deadline. */
export function fallbackReason(ctx: MlContext, view: DeadlineView): string {
  const late = view.slackMs < 0 ? `${duration(view.slackMs)} past the point to switch` : 'no slack left';
  return `job ${view.jobId}: on-demand for its deadline ${clock(view.deadlineAt)}: ${late} (${budget(ctx, view)}); it stays on on-demand until it finishes`;
}

/** Why a job that went on-demand for its deadline goes there again. */
export function stayReason(view: DeadlineView): string {
  return `job ${view.jobId} went to on-demand for its deadline ${clock(view.deadlineAt)} at ${clock(view.onDemandSince ?? 0)}: placed on on-demand again (it moves back to spot only while it runs)`;
}

/** Progress of a running job now, seconds (what a checkpoint taken now would secure). */
export function progressNow(job: TrainingJob, now: number): number {
  if (job.progressingSince === null) return job.savedSeconds;
  return Math.min(job.runSeconds ?? Infinity, job.resumedFromSeconds + Math.max(0, now - job.progressingSince) / 1000);
}

/**
 * Running jobs with a deadline, on spot: once losing the work since the last checkpoint would leave no slack
 * (the node could go, and its checkpoint fail inside the notice), ask for a checkpoint. Only when one helps
 * (a checkpoint now leaves slack), when the unsaved work is worth it (at least half the margin, which absorbs
 * smaller losses, and 5 checkpoint times, since writing one may pause training), and at most once per
 * 5 x checkpointSeconds while it is not acknowledged.
 * Worked example: a 6 h job due 9 h after it was queued, on spot from the start with nothing checkpointed, has
 * 3 h - 7 min - 15 min = 2 h 38 min of slack if it lost everything; after 2 h 38 min of running it checkpoints.
 */
export function protectDeadlines(ctx: MlContext, ml: MlState): { actions: Action[]; reasons: string[]; ml: MlState } {
  const actions: Action[] = [];
  const reasons: string[] = [];
  if (!ctx.policy.training.onDemandFallback) return { actions, reasons, ml };
  let jobs = ml.jobs;
  const retryMs = 5 * ctx.policy.training.checkpointSeconds * 1000;
  let waiting: Set<string> | undefined;
  for (const id in ml.jobs) {
    const job = ml.jobs[id]!;
    if (
      job.state !== 'running' ||
      job.onDemandForDeadlineAt !== null ||
      job.progressingSince === null ||
      job.instanceIds.length === 0 ||
      // biome-ignore lint/suspicious/noAssignInExpressions: built once, for the first running job on spot
      (waiting ??= new Set(ml.checkpointWaits.map((w) => w.jobId))).has(id)
    )
      continue;
    if (job.deadlineCheckpointAt !== null && ctx.now - job.deadlineCheckpointAt < retryMs) continue;
    const ifLost = deadlineView(ctx, id, job);
    if (!ifLost || ifLost.slackMs > 0) continue;
    const unsaved = (progressNow(job, ctx.now) - job.savedSeconds) * 1000;
    if (unsaved < Math.max(retryMs, (ctx.policy.training.deadlineSafetySeconds * 1000) / 2)) continue;
    const ifSaved = deadlineView(ctx, id, job, progressNow(job, ctx.now))!;
    if (ifSaved.slackMs <= 0) continue;
    const reason = `job ${id}: checkpoint requested to keep its deadline ${clock(job.deadlineAt!)} reachable: losing the ${duration(unsaved)} since its last checkpoint would leave no slack; with it saved, ${duration(ifSaved.slackMs)} of slack`;
    actions.push({
      type: 'request-checkpoint',
      jobId: id,
      instanceIds: job.instanceIds,
      deadlineAt: ctx.now + retryMs,
      reason,
    });
    reasons.push(reason);
    jobs = withEntry(jobs, id, { ...job, deadlineCheckpointAt: ctx.now });
  }
  return { actions, reasons, ml: jobs === ml.jobs ? ml : { ...ml, jobs } };
}
