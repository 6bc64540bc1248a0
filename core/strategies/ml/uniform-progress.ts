/**
 * Uniform Progress (Wu et al., "Can't Be Late: Optimizing Spot Instance Savings under Deadlines", NSDI 2024):
 * a job with a deadline spends its slack in proportion to its elapsed life instead of all at once. The greedy
 * rule (deadline.ts) waits through the first outages until only its reserve is left, then runs on on-demand
 * with no slack to come back; this one goes on-demand during an outage only while the job is behind a straight
 * line from nothing done at queuing to all done at the last point it can finish:
 *
 *   expected(now) = runSeconds x (now - queuedAt) / (lineEnd - queuedAt),
 *   lineEnd = deadline - (node boot + job load) - deadlineSafetySeconds
 *
 * (the variant that keeps one switch and the margin in hand, as the slack does: a job on the line has slack
 * (lineEnd - queuedAt - runSeconds) x (1 - elapsed / (lineEnd - queuedAt)), which falls to 0 at lineEnd).
 * Progress is what its last checkpoint secured (what a new placement resumes from), as deadline.ts counts it.
 *
 * When spot cannot take the job: at or ahead of the line, or behind it by no more than a tolerance, it waits for
 * spot; further behind, it goes on-demand now. The tolerance (the hysteresis) is a sixth of the job's slack at
 * queuing, and at least one switch (boot + load): a job a minute behind does not launch a node, and a job with
 * more slack may lag more before paying for one. The sixth is measured, not derived (spot bench, seeds 1-20,
 * saving at 25 / 50 / 100 % slack): one switch alone 51.4 / 57.3 / -, a sixth 50.7 / 58.9 / 64.8, a quarter
 * - / 58.9 / 65.2, a fixed 18 min (about a quarter of a 25 % job's slack) 49.6 / 58.7 / -; seeds 101-120 agree
 * (one switch 52.0 / 57.5, a sixth 51.1 / 59.0). The greedy rule: 45.6 / 56.2 / 64.8.
 * A job that moved back to spot less than `spot.returnToSpotAfterSeconds` ago waits rather than switching again
 * so soon. Once on on-demand it moves back to spot as the greedy rule's jobs do (deadline-move.ts,
 * `returnForDeadlines`), and having left early it usually has the slack to. The greedy safety net stays the
 * outer guarantee: at or below its reserve of slack a job goes on-demand whatever the line says, and with none
 * a job on spot moves.
 *
 * Worked example (defaults: switch 7 min, margin 15 min): a 6 h job queued at 14:00Z due 23:00Z has its line
 * end at 22:38Z, 8 h 38 min after queuing, and 2 h 38 min of slack then, so its tolerance is 26 min 20 s. At
 * 15:00Z it is expected to have 6 h x 1 h / 8 h 38 min = 41 min 42 s done. With 20 min secured it is 21 min 42 s
 * behind: it waits; with 10 min secured it is 31 min 42 s behind: on-demand now, with 23:00 - 15:00 - 5 h 50 min
 * - 22 min = 1 h 48 min of slack to come back to spot with.
 */
import type { TrainingJob } from '../../schema/ml-memory.ts';
import type { MlContext } from './context.ts';
import { clock, duration, returnMarginSeconds, switchSeconds, type DeadlineView } from './deadline.ts';

/** Where a job stands against its uniform-progress line, seconds. */
export interface ProgressLine {
  /** Secured progress (what its last checkpoint holds). */
  doneSeconds: number;
  /** What the line expects by now. */
  expectedSeconds: number;
  /** expected - done: > 0 behind the line, <= 0 at or ahead of it. */
  behindSeconds: number;
}

/** The job's line and its progress against it, or undefined when it has no deadline or no run time. */
export function progressLine(ctx: MlContext, job: TrainingJob): ProgressLine | undefined {
  if (job.deadlineAt === null || job.runSeconds === null) return undefined;
  const lineEnd = job.deadlineAt - (switchSeconds(ctx) + ctx.policy.training.deadlineSafetySeconds) * 1000;
  const span = lineEnd - job.queuedAt;
  const fraction = span <= 0 ? 1 : Math.min(1, Math.max(0, (ctx.now - job.queuedAt) / span));
  const expectedSeconds = job.runSeconds * fraction;
  return { doneSeconds: job.savedSeconds, expectedSeconds, behindSeconds: expectedSeconds - job.savedSeconds };
}

/** How far behind its line a job may fall before it goes on-demand, seconds: a sixth of its slack at queuing, at least one switch. */
export function lineToleranceSeconds(ctx: MlContext, job: TrainingJob): number {
  const slack =
    job.deadlineAt === null || job.runSeconds === null
      ? 0
      : (job.deadlineAt - job.queuedAt) / 1000 -
        job.runSeconds -
        switchSeconds(ctx) -
        ctx.policy.training.deadlineSafetySeconds;
  return Math.max(switchSeconds(ctx), slack / 6);
}

/** `1 h done, 41 min expected on its uniform-progress line (19 min behind)`. */
export function lineText(line: ProgressLine): string {
  const gap = line.behindSeconds * 1000;
  const where = Math.abs(gap) < 1000 ? 'on it' : gap > 0 ? `${duration(gap)} behind` : `${duration(gap)} ahead`;
  return `${duration(line.doneSeconds * 1000)} done, ${duration(line.expectedSeconds * 1000)} expected on its uniform-progress line (${where})`;
}

/** Uniform progress decides for this job (a deadline, the policy's strategy), with its line; else undefined. */
export function uniformLine(ctx: MlContext, job: TrainingJob): ProgressLine | undefined {
  return ctx.policy.training.deadlineStrategy === 'uniform-progress' ? progressLine(ctx, job) : undefined;
}

/**
 * Should a job spot cannot take go on-demand now by its line? Behind by more than the tolerance, and not back on
 * spot within `spot.returnToSpotAfterSeconds` (no second switch so soon).
 */
export function behindLine(ctx: MlContext, job: TrainingJob, line: ProgressLine): boolean {
  if (line.behindSeconds <= lineToleranceSeconds(ctx, job)) return false;
  return job.backOnSpotAt === null || ctx.now - job.backOnSpotAt >= ctx.policy.spot.returnToSpotAfterSeconds * 1000;
}

/** Why the job goes on-demand now: behind its line while spot is out. */
export function behindReason(ctx: MlContext, view: DeadlineView, job: TrainingJob, line: ProgressLine): string {
  return `job ${view.jobId}: on-demand for its deadline ${clock(view.deadlineAt)} while spot is out: ${lineText(line)}, more than the ${duration(lineToleranceSeconds(ctx, job) * 1000)} it may lag; ${duration(view.slackMs)} of slack; back to spot once spot is quiet and it has ${duration(returnMarginSeconds(ctx) * 1000)} of slack`;
}

/** Why the job waits for spot: at, ahead of or close to its line. */
export function aheadReason(ctx: MlContext, view: DeadlineView, job: TrainingJob, line: ProgressLine): string {
  const dwell =
    line.behindSeconds > lineToleranceSeconds(ctx, job)
      ? `; back on spot since ${clock(job.backOnSpotAt ?? 0, ctx.now)}, so no switch to on-demand before ${clock((job.backOnSpotAt ?? 0) + ctx.policy.spot.returnToSpotAfterSeconds * 1000, ctx.now)}`
      : `; on-demand once more than ${duration(lineToleranceSeconds(ctx, job) * 1000)} behind`;
  return `job ${view.jobId}: waiting for spot, ${lineText(line)}${dwell}; ${duration(view.slackMs)} of slack before its deadline ${clock(view.deadlineAt)}`;
}
