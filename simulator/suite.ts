import { runComparison, type ComparisonOptions, type ComparisonReport } from './comparison.ts';
import {
  checkGoal,
  checkSuiteGoal,
  meanSloShareByAutoscaler,
  median,
  sloClauseByAutoscaler,
  type GoalCheck,
} from './goal.ts';
import { findWorkload } from './workloads.ts';

/** One workload of the suite: a bundled workload and a seed. */
export interface SuiteEntry {
  workload: string;
  seed: number;
}

/** Issue 17's suite as far as it is in the repository: both Azure traces and trading-day seeds 1-5. */
export const DEFAULT_SUITE: readonly SuiteEntry[] = [
  { workload: 'conversation', seed: 1 },
  { workload: 'code', seed: 1 },
  ...[1, 2, 3, 4, 5].map((seed) => ({ workload: 'trading-day', seed })),
];

/**
 * Our stand-ins for the issue's hidden workloads (step- and swell-shaped load, a diurnal week), from our own
 * generators (simulator/synthetic.ts); `tide simulate --suite --stand-ins` adds them to the suite. Rules are
 * checked against them so they generalise; no rule knows a workload's name or seed.
 */
export const STAND_IN_SUITE: readonly SuiteEntry[] = [
  { workload: 'step', seed: 1 },
  { workload: 'step', seed: 2 },
  { workload: 'swell', seed: 1 },
  { workload: 'swell', seed: 2 },
  { workload: 'diurnal', seed: 1 },
];

/** One workload's outcome in a suite. */
export interface SuiteRow {
  label: string;
  report: ComparisonReport;
  goal: GoalCheck | undefined;
}

/** The suite's outcome: each workload, and the goal over all of them. */
export interface SuiteResult {
  rows: SuiteRow[];
  goal: ReturnType<typeof checkSuiteGoal>;
}

/** Replay every entry (with its workload's plans, as `tide simulate --workload` does) and check the goal. */
export async function runSuite(
  entries: readonly SuiteEntry[] = DEFAULT_SUITE,
  options: Omit<ComparisonOptions, 'trace' | 'seed' | 'plans'> = {},
  onProgress?: (label: string, index: number, count: number) => void,
): Promise<SuiteResult> {
  const rows: SuiteRow[] = [];
  for (const [index, entry] of entries.entries()) {
    const workload = findWorkload(entry.workload);
    if (!workload) throw new Error(`unknown workload "${entry.workload}"`);
    const label =
      workload.plans || !['conversation', 'code'].includes(entry.workload)
        ? `${entry.workload} seed ${entry.seed}`
        : entry.workload;
    onProgress?.(label, index, entries.length);
    const report = await runComparison({
      ...options,
      trace: await workload.load(entry.seed),
      seed: entry.seed,
      ...(workload.plans ? { plans: workload.plans } : {}),
    });
    rows.push({ label, report, goal: checkGoal(report.runs, report.oracle?.costUsd) });
  }
  const goals = rows.map((row) => row.goal).filter((goal): goal is GoalCheck => goal !== undefined);
  return { rows, goal: checkSuiteGoal(goals) };
}

const pct = (share: number) => `${(share * 100).toFixed(2)} %`;

/**
 * The suite as a Markdown table (docs/simulator.md): one row per autoscaler, one column per workload, each
 * cell cost ÷ oracle and the share of requests over the SLO; then the oracle's own row, the median of cost
 * ÷ oracle, and the goal's clauses per workload.
 */
export function renderSuiteMarkdown(suite: SuiteResult): string {
  const names = [...new Set(suite.rows.flatMap((row) => row.report.runs.map((run) => run.name)))];
  const lines = [
    `| autoscaler | ${suite.rows.map((row) => row.label).join(' | ')} | median × oracle |`,
    `|---|${suite.rows.map(() => '---|').join('')}---|`,
  ];
  for (const name of names) {
    const ratios: number[] = [];
    const cells = suite.rows.map((row) => {
      const run = row.report.runs.find((candidate) => candidate.name === name);
      const oracle = row.report.oracle?.costUsd;
      if (!run || !oracle) return '-';
      ratios.push(run.costUsd / oracle);
      return `${(run.costUsd / oracle).toFixed(2)} × / ${pct(run.sloViolationShare)}`;
    });
    const label = name === 'tide' ? '**tide** (default policy)' : name;
    lines.push(`| ${label} | ${cells.join(' | ')} | ${ratios.length > 0 ? median(ratios).toFixed(2) : '-'} |`);
  }
  lines.push(
    `| oracle ($ / over SLO) | ${suite.rows
      .map((row) =>
        row.report.oracle
          ? `$${row.report.oracle.costUsd.toFixed(2)} / ${pct(row.report.oracle.sloViolationShare)} (${row.report.oracle.chosen === 'plan' ? 'plan' : `constant ${row.report.oracle.constant?.replicas}`})`
          : '-',
      )
      .join(' | ')} | |`,
    `| best baseline | ${suite.rows.map((row) => row.goal?.bestBaseline ?? '-').join(' | ')} | |`,
    `| goal: SLO within 0.1 point | ${suite.rows.map((row) => (row.goal?.clauses.sloWithinBestBaseline ? 'yes' : '**no**')).join(' | ')} | |`,
    `| goal: ≤ 2.0 × oracle | ${suite.rows.map((row) => (row.goal?.clauses.costWithin2xOracle ? 'yes' : '**no**')).join(' | ')} | |`,
    `| saving vs static-peak (peak ÷ mean) | ${suite.rows
      .map(
        (row) =>
          `${row.goal?.savingVsStatic === null || row.goal === undefined ? '-' : `${(row.goal.savingVsStatic * 100).toFixed(1)} %`} (${row.report.workload.peakToMean.toFixed(2)})`,
      )
      .join(' | ')} | |`,
  );
  const goal = suite.goal;
  const byAutoscaler = sloClauseByAutoscaler(suite.rows.map((row) => row.report.runs));
  lines.push(
    '',
    `Goal over the suite: ${goal.met ? 'MET' : 'NOT MET'}; every workload's clauses: ${goal.everyWorkload ? 'yes' : 'no'}; ` +
      `Tide's median cost ÷ oracle ${goal.medianCostOverOracle.toFixed(2)} (≤ 1.40: ${goal.medianWithin ? 'yes' : 'no'}).`,
    '',
    `The SLO clause applied to each autoscaler (within 0.1 point of the best baseline other than itself): ${Object.entries(
      byAutoscaler,
    )
      .map(([name, count]) => `${name} on ${count.within} of ${count.of}`)
      .join(', ')}.`,
    '',
    `Mean share of requests over the SLO across the workloads (each weighs the same): ${Object.entries(
      meanSloShareByAutoscaler(suite.rows.map((row) => row.report.runs)),
    )
      .map(([name, { mean, of }]) => `${name} ${pct(mean)}${of === suite.rows.length ? '' : ` (${of} workloads)`}`)
      .join(', ')}.`,
  );
  return lines.join('\n');
}

/** The suite as JSON: per workload the oracle, the goal and each run's cost ÷ oracle and SLO share. */
export function suiteJson(suite: SuiteResult): object {
  return {
    goal: suite.goal,
    sloClauseByAutoscaler: sloClauseByAutoscaler(suite.rows.map((row) => row.report.runs)),
    meanSloShareByAutoscaler: meanSloShareByAutoscaler(suite.rows.map((row) => row.report.runs)),
    workloads: suite.rows.map((row) => ({
      label: row.label,
      peakToMean: row.report.workload.peakToMean,
      oracle: row.report.oracle ?? null,
      goal: row.goal ?? null,
      runs: row.report.runs.map((run) => ({
        name: run.name,
        costUsd: run.costUsd,
        sloViolationShare: run.sloViolationShare,
        costOverOracle: row.report.oracle ? Math.round((run.costUsd / row.report.oracle.costUsd) * 1000) / 1000 : null,
      })),
    })),
  };
}
