import { describe, expect, it } from 'vitest';
import { runComparison } from '../../simulator/comparison.ts';
import { checkGoal, checkSuiteGoal } from '../../simulator/goal.ts';
import { DEFAULT_SUITE, renderSuiteMarkdown, suiteJson, type SuiteResult } from '../../simulator/suite.ts';
import type { Trace } from '../../simulator/trace.ts';

const T0 = Date.parse('2026-03-09T14:00:00Z');

/** `base` requests per second for 15 min, `surge` for 10, `base` for 10. */
function swell(base: number, surge: number): Trace {
  const requests = [];
  for (let second = 0; second < 2100; second++) {
    const rate = second >= 900 && second < 1500 ? surge : base;
    for (let i = 0; i < rate; i++)
      requests.push({
        arrivalAt: T0 + second * 1000 + Math.floor((i * 1000) / rate),
        contextTokens: 600,
        generatedTokens: 112,
      });
  }
  return { name: 'swell', startAt: T0, endAt: requests.at(-1)!.arrivalAt, requests };
}

describe('the suite', () => {
  it('is issue 17 suite as far as the repository holds it', () => {
    expect(DEFAULT_SUITE.map((entry) => `${entry.workload}:${entry.seed}`)).toEqual([
      'conversation:1',
      'code:1',
      'trading-day:1',
      'trading-day:2',
      'trading-day:3',
      'trading-day:4',
      'trading-day:5',
    ]);
  });

  it('renders one row per autoscaler with cost ÷ oracle and SLO share per workload, and the goal', async () => {
    const reports = await Promise.all(
      [swell(2, 5), swell(1, 4)].map((trace) =>
        runComparison({ trace, bootSeconds: 120, only: ['tide', 'static-peak', 'hpa', 'keda'] }),
      ),
    );
    const rows = reports.map((report, i) => ({
      label: `w${i}`,
      report,
      goal: checkGoal(report.runs, report.oracle?.costUsd),
    }));
    const suite: SuiteResult = { rows, goal: checkSuiteGoal(rows.map((row) => row.goal!)) };
    const text = renderSuiteMarkdown(suite);
    const tide = reports[0]!.runs.find((run) => run.name === 'tide')!;
    const cell = `${(tide.costUsd / reports[0]!.oracle!.costUsd).toFixed(2)} × / ${(tide.sloViolationShare * 100).toFixed(2)} %`;
    expect(text).toContain(`| **tide** (default policy) | ${cell} |`);
    expect(text).toMatch(/^\| hpa \| /m);
    expect(text).toMatch(/^\| oracle \(\$ \/ over SLO\) \| \$\d+\.\d\d/m);
    expect(text).toMatch(/^Goal over the suite: (MET|NOT MET); /m);
    const json = suiteJson(suite) as { workloads: Array<{ runs: Array<{ name: string; costOverOracle: number }> }> };
    expect(json.workloads).toHaveLength(2);
    expect(json.workloads[0]!.runs.find((run) => run.name === 'tide')!.costOverOracle).toBeCloseTo(
      tide.costUsd / reports[0]!.oracle!.costUsd,
      2,
    );
  });
});
