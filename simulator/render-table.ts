import type { ComparisonReport } from './comparison.ts';
import { cheapestConstantWithin, checkGoal } from './goal.ts';

const pct = (share: number) => `${(share * 100).toFixed(2)} %`;

/** The comparison as a fixed-width text table, with the oracle and a line on whether Tide met the goal. */
export function renderTable(report: ComparisonReport, options: { oracle?: boolean } = {}): string {
  const oracleCost = report.oracle?.costUsd;
  const header = [
    'autoscaler',
    'cost $',
    '× oracle',
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
    oracleCost ? (run.costUsd / oracleCost).toFixed(2) : '-',
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
  const oracle = report.oracle;
  if (oracle) {
    lines.push(
      '',
      `oracle (hindsight): $${oracle.costUsd.toFixed(2)}, ${pct(oracle.sloViolationShare)} over SLO, ` +
        (oracle.chosen === 'plan'
          ? `its launch and release plan (peak ${oracle.plan.peakReplicas} replicas, ${oracle.plan.launches} launches)`
          : `a constant ${oracle.constant!.replicas} replicas (at the best baseline's ${pct(oracle.sloBar)})`) +
        `; ${oracle.excludedRequests} request(s) no capacity serves in time (prefill alone over the SLO)`,
    );
    if (options.oracle) {
      lines.push(
        `  plan: $${oracle.plan.costUsd.toFixed(2)}, ${pct(oracle.plan.sloViolationShare)} over SLO, p95 ${oracle.plan.p95Ms} ms`,
        oracle.constant
          ? `  constant: ${oracle.constant.replicas} replicas, $${oracle.constant.costUsd.toFixed(2)}, ${pct(oracle.constant.sloViolationShare)} over SLO (bar ${pct(oracle.sloBar)})`
          : `  constant: none keeps ${pct(oracle.sloBar)}`,
      );
    }
  }
  const goal = checkGoal(report.runs, oracle?.costUsd);
  if (goal) {
    lines.push(
      '',
      `goal (SLO within 0.1 point of the best baseline, cost ≤ 2.0 × oracle): ${goal.met ? 'MET' : 'NOT MET'}; ` +
        `best baseline ${goal.bestBaseline} (${pct(goal.bestBaselineSloViolationShare)}): SLO ${goal.clauses.sloWithinBestBaseline ? 'kept' : 'missed'}; ` +
        `Tide ${goal.costOverOracle === null ? '-' : goal.costOverOracle.toFixed(2)} × oracle` +
        (goal.bestBaselineCostOverOracle === null
          ? ''
          : `, ${goal.bestBaseline} ${goal.bestBaselineCostOverOracle.toFixed(2)} ×`),
    );
    if (goal.savingVsStatic !== null)
      lines.push(
        `against static-peak: ${(goal.savingVsStatic * 100).toFixed(1)} % cheaper; the trace's busiest minute is ${workload.peakToMean.toFixed(2)} × its mean`,
      );
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
  const spot = report.spot;
  if (spot) {
    lines.push(
      '',
      `spot (issue 17, section 5: ≥ 45 % cheaper than all on-demand, SLO within 0.5 point): ${spot.met ? 'MET' : 'NOT MET'}; ` +
        `Tide on spot $${spot.spotCostUsd.toFixed(2)} at ${pct(spot.spotSloViolationShare)} over SLO, all on-demand $${spot.onDemandCostUsd.toFixed(2)} at ${pct(spot.onDemandSloViolationShare)}: ` +
        `${(spot.saving * 100).toFixed(1)} % cheaper, ${spot.sloDeltaPoints >= 0 ? '+' : ''}${spot.sloDeltaPoints.toFixed(2)} points; ` +
        `${spot.preemptedReplicas} replicas lost to preemption, serving about ${spot.requestsOnPreemptedReplicas} requests`,
    );
  }
  return lines.join('\n');
}
