import type { ComparisonReport } from './comparison.ts';
import { cheapestConstantWithin, checkGoal } from './goal.ts';

const pct = (share: number) => `${(share * 100).toFixed(2)} %`;

/** The comparison as a fixed-width text table, with a line on whether Tide met the goal. */
export function renderTable(report: ComparisonReport): string {
  const header = [
    'autoscaler',
    'cost $',
    'GPU-h',
    'over SLO',
    'SLO-min',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'to capacity s',
    'actions',
  ];
  const rows = report.runs.map((run) => [
    run.name,
    run.costUsd.toFixed(2),
    run.gpuHours.toFixed(2),
    pct(run.sloViolationShare),
    String(run.sloViolationMinutes),
    String(run.p50Ms),
    String(run.p95Ms),
    String(run.p99Ms),
    run.timeToCapacitySeconds === null ? '-' : String(run.timeToCapacitySeconds),
    String(run.scalingActions),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const { workload, settings } = report;
  const lines = [
    `${workload.name}: ${workload.requests} requests over ${(workload.durationSeconds / 60).toFixed(0)} min; ${settings.instanceType} ${settings.capacityType}, boot ${settings.bootSeconds.default ?? 525} s, seed ${settings.seed}`,
    `SLO: time to first token ≤ ${settings.sloMs} ms; target ${settings.targetPerReplica} requests in flight per replica; peak needs ${workload.peakReplicas} replicas, all start at ${workload.initialReplicas}`,
    '',
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
  ];
  if (report.frontier && report.frontier.length > 0) {
    lines.push('', 'constant capacity (the frontier: what holding N replicas all run long costs and keeps):');
    for (const run of report.frontier)
      lines.push(
        `  ${run.name.padEnd(10)} $${run.costUsd.toFixed(2).padStart(8)}  ${pct(run.sloViolationShare).padStart(8)} over SLO`,
      );
  }
  const goal = checkGoal(report.runs, workload.workFloorUsd);
  if (goal) {
    lines.push(
      '',
      `goal (SLO ≥ best baseline, ≥ 25 % cheaper than it, ≥ 50 % cheaper than static-peak): ${goal.met ? 'MET' : 'NOT MET'}; ` +
        `best baseline ${goal.bestBaseline}: SLO ${goal.keepsSlo ? 'kept' : 'missed'}, ${(goal.savingVsBest * 100).toFixed(1)} % cheaper; ` +
        `${(goal.savingVsStatic * 100).toFixed(1)} % cheaper than static-peak`,
    );
    const f = goal.feasibility;
    if (f) {
      lines.push(
        `work floor: serving every request with every slot busy costs $${f.workFloorUsd.toFixed(2)}; the goal allows at most $${f.allowedUsd.toFixed(2)}: ` +
          (f.feasible
            ? 'reachable in principle'
            : 'NO autoscaler on this instance type can meet the goal on this workload'),
      );
    }
    if (report.frontier) {
      const best = report.runs.find((run) => run.name === goal.bestBaseline)!;
      const constant = cheapestConstantWithin(report.frontier, best.sloViolationShare);
      lines.push(
        constant
          ? `cheapest constant capacity keeping ${goal.bestBaseline}'s SLO (${pct(best.sloViolationShare)}): ${constant.name}, $${constant.costUsd.toFixed(2)}`
          : `no constant capacity up to static-peak keeps ${goal.bestBaseline}'s SLO (${pct(best.sloViolationShare)})`,
      );
    }
  }
  return lines.join('\n');
}
