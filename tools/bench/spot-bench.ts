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
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { lookupInstanceType } from '../../core/catalog/index.ts';
import type { DecisionInput, PolicyInput } from '../../core/index.ts';
import { DEFAULT_SPOT_MARKET, spotMarketFor } from '../../adapters/fake-cloud/spot-market.ts';
import { restartFromScratch } from './restart-from-scratch.ts';
import { HOUR, MIN, RESTORE_MS, runTrainingWeek, spotPoolId, T0, TYPE } from './spot-training-run.ts';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();
await loadExchangeCalendars();

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
    /** Write every decide() input of the first run to FILE as JSON lines (the decide bench's training-spot variant). */
    record: { type: 'string' },
  },
});
const recorded: string[] = [];

const INFO = lookupInstanceType(TYPE)!;
const BOOT_MS_FOR_POLICY = 240_000;

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
    nodeBootSeconds: BOOT_MS_FOR_POLICY / 1000,
    jobLoadSeconds: RESTORE_MS / 1000,
  },
};
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => (xs.length === 0 ? 0 : sorted(xs)[Math.floor(xs.length / 2)]!);
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function runOnce(seed: number) {
  // The outages the cloud's spot pools will have (the same seed and pool ids give the same markets): the
  // restart-from-scratch baseline and the market figures read them.
  const outages = Array.from({ length: zones }, (_, zone) =>
    spotMarketFor(seed, spotPoolId(zone), T0).outagesStartingIn(T0, T0 + horizon),
  );
  const record = values.record && seed === Number(values.seed);
  const tide = await runTrainingWeek({
    seed,
    zones,
    horizon,
    jobMs,
    slackPercent,
    policy,
    ...(record ? { onInput: (input: DecisionInput) => recorded.push(JSON.stringify(input)) } : {}),
  });
  const scratch = restartFromScratch(outages, horizon, jobMs, INFO.spotUsdPerHour);
  // The same useful work on one on-demand node: its GPU-hours plus one load per job, never interrupted.
  const onDemandCostUsd = (tide.usefulGpuHours + (tide.jobsStarted * RESTORE_MS) / HOUR) * INFO.onDemandUsdPerHour;
  const onDemandWeekCostUsd = (horizon / HOUR) * INFO.onDemandUsdPerHour;
  const allOutages = outages.flat();
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
      runSigma: round(DEFAULT_SPOT_MARKET.runSigma, 3),
      outageSigma: round(DEFAULT_SPOT_MARKET.outageSigma, 3),
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
if (values.record) writeFileSync(values.record, `${recorded.join('\n')}\n`);
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
