import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../functions/cli/command.ts';
import { main } from '../../../functions/cli/main.ts';

function recordingIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTty: false };
  return { io, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'tide-simulate-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** 30 minutes: 2 requests/s, then 5 requests/s; any CSV of the Azure shape. */
function smallTrace(): string {
  const rows = ['TIMESTAMP,ContextTokens,GeneratedTokens'];
  for (let second = 0; second < 1800; second++) {
    const rate = second < 900 ? 2 : 5;
    for (let i = 0; i < rate; i++) {
      const at = new Date(Date.UTC(2026, 2, 9, 14, 0, second, Math.floor((i * 1000) / rate)));
      rows.push(
        `${at.toISOString().replace('T', ' ').replace('Z', '')},${500 + ((second * 7 + i) % 900)},${60 + ((second * 13 + i) % 200)}`,
      );
    }
  }
  return rows.join('\n');
}

const REQUIRED_FIELDS = [
  'name',
  'costUsd',
  'gpuHours',
  'sloViolationShare',
  'sloViolationMinutes',
  'p50Ms',
  'p95Ms',
  'p99Ms',
  'scalingActions',
  'timeToCapacitySeconds',
];

describe('tide simulate', () => {
  it('--trace FILE --json prints one object with a run per autoscaler', async () => {
    const { io, out } = recordingIo();
    const code = await main(
      ['simulate', '--trace', file('small.csv', smallTrace()), '--json', '--seed', '3', '--slo-ms', '2500'],
      io,
    );
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.runs.map((run: { name: string }) => run.name)).toEqual([
      'tide',
      'static-peak',
      'hpa',
      'aws-target-tracking',
      'aws-target-tracking-1m',
      'keda',
      'keda-cached',
      'knative-kpa',
    ]);
    for (const run of report.runs) {
      for (const field of REQUIRED_FIELDS) expect(run).toHaveProperty(field);
      expect(run.sloViolationShare).toBeGreaterThanOrEqual(0);
      expect(run.sloViolationShare).toBeLessThanOrEqual(1);
    }
    expect(report.settings).toMatchObject({
      seed: 3,
      sloMs: 2500,
      capacityType: 'on-demand',
      instanceType: 'ml.g5.2xlarge',
    });
    expect(report.goal).toHaveProperty('met');
    expect(report.goal.clauses).toHaveProperty('costWithin2xOracle');
    expect(report.oracle).toMatchObject({ costUsd: expect.any(Number), sloViolationShare: expect.any(Number) });
    for (const run of report.runs) expect(run.costOverOracle).toBeCloseTo(run.costUsd / report.oracle.costUsd, 2);
    expect(report).not.toHaveProperty('frontier');
  });

  it('--frontier adds constant capacities to the JSON and the table', async () => {
    const json = recordingIo();
    expect(
      await main(['simulate', '--trace', file('frontier.csv', smallTrace()), '--json', '--frontier'], json.io),
    ).toBe(0);
    const report = JSON.parse(json.out.join('\n'));
    expect(report.frontier.map((run: { name: string }) => run.name)).toEqual(
      Array.from({ length: report.workload.peakReplicas }, (_, i) => `fixed-${i + 1}`),
    );
    for (const run of report.frontier) for (const field of REQUIRED_FIELDS) expect(run).toHaveProperty(field);
    const table = recordingIo();
    expect(await main(['simulate', '--trace', file('frontier-table.csv', smallTrace()), '--frontier'], table.io)).toBe(
      0,
    );
    const text = table.out.join('\n');
    expect(text).toMatch(/^ {2}fixed-1 /m);
    expect(text).toMatch(/^oracle \(hindsight\): \$\d+\.\d\d, /m);
    expect(text).toMatch(/^goal \(SLO within 0\.1 point of the best baseline, cost ≤ 2\.0 × oracle\): (MET|NOT MET)/m);
    expect(text).toMatch(/^(cheapest constant capacity keeping|no constant capacity up to static-peak keeps)/m);
  });

  it('--utilization and --metric-period/--metric-delay reach the settings', async () => {
    const { io, out } = recordingIo();
    const args = [
      'simulate',
      '--trace',
      file('flags.csv', smallTrace()),
      '--json',
      '--utilization',
      '0.5',
      '--metric-period',
      '60',
      '--metric-delay',
      '0',
    ];
    expect(await main(args, io)).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.settings).toMatchObject({
      targetUtilization: 0.5,
      targetPerReplica: 4,
      tideDelivery: { periodSeconds: 60, delaySeconds: 0 },
      // Tide's default reads offered load, at 60 % of the slots (4.8 of 8), whatever the baselines aim at.
      tideMetric: 'offered',
    });
    expect(report.settings.tidePolicy.targetTracking[0]).toMatchObject({
      metric: 'offered_concurrency_per_replica',
      targetValue: 4.8,
      scaleOutTolerance: 0,
    });
    const inFlight = recordingIo();
    expect(
      await main(
        [
          'simulate',
          '--trace',
          file('in-flight.csv', smallTrace()),
          '--json',
          '--tide-metric',
          'in-flight',
          '--utilization',
          '0.5',
        ],
        inFlight.io,
      ),
    ).toBe(0);
    // The in-flight form aims where the baselines do (--utilization).
    expect(JSON.parse(inFlight.out.join('\n')).settings.tidePolicy.targetTracking[0]).toMatchObject({
      metric: 'concurrent_requests_per_replica',
      targetValue: 4,
    });
    const bootAware = recordingIo();
    expect(
      await main(
        [
          'simulate',
          '--trace',
          file('boot-aware.csv', smallTrace()),
          '--json',
          '--tide-boot-aware',
          '--boot-seconds',
          '240',
        ],
        bootAware.io,
      ),
    ).toBe(0);
    expect(JSON.parse(bootAware.out.join('\n')).settings.tidePolicy).toMatchObject({ replicaBootSeconds: 240 });
    expect(JSON.parse(inFlight.out.join('\n')).settings.tidePolicy.replicaBootSeconds).toBeNull();
    const keep = recordingIo();
    expect(
      await main(
        ['simulate', '--trace', file('keep.csv', smallTrace()), '--json', '--tide-keep-through-lull'],
        keep.io,
      ),
    ).toBe(0);
    expect(JSON.parse(keep.out.join('\n')).settings.tidePolicy.lookAhead).toMatchObject({
      enabled: true,
      horizonSeconds: 525,
      keepThroughLull: true,
    });
    expect(JSON.parse(inFlight.out.join('\n')).settings.tidePolicy.lookAhead.keepThroughLull).toBe(false);
    const aboveNoise = recordingIo();
    expect(
      await main(
        ['simulate', '--trace', file('noise.csv', smallTrace()), '--json', '--tide-keep-above-noise', '2'],
        aboveNoise.io,
      ),
    ).toBe(0);
    // The keep is implied; the peak is stripped of 2 standard deviations of the points' noise.
    expect(JSON.parse(aboveNoise.out.join('\n')).settings.tidePolicy.lookAhead).toMatchObject({
      keepThroughLull: true,
      keepAboveNoise: 2,
    });
    expect(JSON.parse(keep.out.join('\n')).settings.tidePolicy.lookAhead.keepAboveNoise).toBeNull();
    const queueing = recordingIo();
    expect(
      await main(['simulate', '--trace', file('queueing.csv', smallTrace()), '--json', '--tide-queueing'], queueing.io),
    ).toBe(0);
    // The trace's mean service time and the SLO's 3 s less its mean prefill; p99.
    const model = JSON.parse(queueing.out.join('\n')).settings.tidePolicy.targetTracking[0].queueing;
    expect(model).toMatchObject({ slotsPerReplica: 8, waitProbability: 0.01 });
    expect(model.serviceSeconds).toBeGreaterThan(0);
    expect(model.maxWaitSeconds).toBeGreaterThan(0);
    expect(model.maxWaitSeconds).toBeLessThan(3);
    expect(JSON.parse(inFlight.out.join('\n')).settings.tidePolicy.targetTracking[0].queueing).toBeUndefined();
    // Predictive scaling learns for a day before it forecasts: on a trace shorter than that it changes nothing.
    const plain = recordingIo();
    const predictive = recordingIo();
    expect(await main(['simulate', '--trace', file('plain.csv', smallTrace()), '--json'], plain.io)).toBe(0);
    expect(
      await main(
        ['simulate', '--trace', file('predictive.csv', smallTrace()), '--json', '--tide-predictive'],
        predictive.io,
      ),
    ).toBe(0);
    const predicted = JSON.parse(predictive.out.join('\n'));
    expect(predicted.settings.tidePolicy.predictive).toMatchObject({ mode: 'forecast-and-scale', bucketSeconds: 900 });
    expect(JSON.parse(plain.out.join('\n')).settings.tidePolicy.predictive.mode).toBe('off');
    const tideRun = (report: { runs: { name: string }[] }) => report.runs.find((run) => run.name === 'tide');
    expect(tideRun(predicted)).toEqual(tideRun(JSON.parse(plain.out.join('\n'))));
    const everyone = recordingIo();
    expect(
      await main(
        ['simulate', '--trace', file('everyone.csv', smallTrace()), '--json', '--metric', 'offered'],
        everyone.io,
      ),
    ).toBe(0);
    expect(JSON.parse(everyone.out.join('\n')).settings).toMatchObject({ metric: 'offered', tideMetric: 'offered' });
  });

  it('prints a table and writes an SVG chart', async () => {
    const { io, out } = recordingIo();
    const svg = join(dir, 'chart.svg');
    expect(await main(['simulate', '--trace', file('table.csv', smallTrace()), '--svg', svg], io)).toBe(0);
    const text = out.join('\n');
    for (const name of ['tide', 'static-peak', 'hpa', 'aws-target-tracking', 'keda', 'knative-kpa'])
      expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    expect(text).toMatch(/goal \(/);
    const chart = readFileSync(svg, 'utf8');
    expect(chart).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(chart.match(/<path /g)!.length).toBeGreaterThanOrEqual(13); // demand + 2 lines per autoscaler
  });

  it.each([
    {
      label: 'bad timestamp',
      csv: 'TIMESTAMP,ContextTokens,GeneratedTokens\n2026-03-09 14:00:00,1,1\n2026-03-09 14:00:01,1,1\nnot-a-time,1,1\n',
      match: /line 4: expected a timestamp/,
    },
    {
      label: 'bad token count',
      csv: 'TIMESTAMP,ContextTokens,GeneratedTokens\n2026-03-09 14:00:00,abc,1\n',
      match: /line 2: ContextTokens must be a whole number.*"abc"/,
    },
  ])('a malformed file ($label) exits 2 naming the line', async ({ csv, match }) => {
    const { io, err } = recordingIo();
    expect(await main(['simulate', '--trace', file('bad.csv', csv)], io)).toBe(2);
    expect(err.join('\n')).toMatch(match);
  });

  it.each([
    { label: 'unknown workload', args: ['--workload', 'nope'], match: /unknown workload "nope"/ },
    { label: 'both sources', args: ['--workload', 'code', '--trace', 'x.csv'], match: /not both/ },
    { label: 'missing file', args: ['--trace', join(dir, 'missing.csv')], match: /cannot read/ },
    { label: 'bad SLO', args: ['--slo-ms', 'fast'], match: /--slo-ms must be a positive whole number, was: "fast"/ },
    { label: 'unknown flag', args: ['--turbo'], match: /turbo/ },
    {
      label: 'queueing on in-flight requests',
      args: ['--tide-queueing', '--tide-metric', 'in-flight'],
      match: /--tide-queueing models offered load/,
    },
    {
      label: 'keep without the look-ahead',
      args: ['--tide-keep-through-lull', '--no-tide-look-ahead'],
      match: /--tide-keep-through-lull is part of the look-ahead/,
    },
    {
      label: 'noise stripped without the look-ahead',
      args: ['--tide-keep-above-noise', '2', '--no-tide-look-ahead'],
      match: /--tide-keep-above-noise is part of the look-ahead/,
    },
    {
      label: 'a noise allowance above 10',
      args: ['--tide-keep-above-noise', '11'],
      match: /--tide-keep-above-noise must be a number of standard deviations from 0 to 10, was: "11"/,
    },
    {
      label: 'suite with a workload',
      args: ['--suite', '--workload', 'code'],
      match: /--suite replays its own workloads/,
    },
    {
      label: 'unknown Tide metric',
      args: ['--tide-metric', 'gpu'],
      match: /--tide-metric must be in-flight or offered, was: "gpu"/,
    },
    {
      label: 'pool-loss reserve above 1',
      args: ['--spot', '--tide-pool-loss-reserve', '1.5'],
      match: /--tide-pool-loss-reserve must be a number from 0 to 1, was: "1.5"/,
    },
    {
      label: 'pool-loss reserve not a number',
      args: ['--spot', '--tide-pool-loss-reserve', ''],
      match: /--tide-pool-loss-reserve must be a number from 0 to 1, was: ""/,
    },
    {
      label: 'pool-loss reserve without --spot',
      args: ['--tide-pool-loss-reserve', '0.5'],
      match: /--tide-pool-loss-reserve needs --spot/,
    },
    {
      label: 'utilization above 1',
      args: ['--utilization', '1.5'],
      match: /--utilization must be a number in \(0, 1\], was: "1.5"/,
    },
  ])('usage error: $label', async ({ args, match }) => {
    const { io, err } = recordingIo();
    expect(await main(['simulate', ...args], io)).toBe(2);
    expect(err.join('\n')).toMatch(match);
  });

  it('--tide-pool-loss-reserve reaches the spot policy: the whole need kept over a pool loss costs more than none', async () => {
    const trace = file('reserve.csv', smallTrace());
    const spotCost = async (reserve: string) => {
      const { io, out } = recordingIo();
      const args = ['simulate', '--trace', trace, '--spot', '--tide-pool-loss-reserve', reserve, '--json'];
      expect(await main(args, io)).toBe(0);
      return JSON.parse(out.join('\n')).spot.spotCostUsd as number;
    };
    expect(await spotCost('1')).toBeGreaterThan(await spotCost('0'));
  });

  it('an invalid --policy lists every problem', async () => {
    const { io, err } = recordingIo();
    const policy = file('policy.json', JSON.stringify({ minCapacity: 5, maxCapacity: 2 }));
    expect(await main(['simulate', '--trace', file('p.csv', smallTrace()), '--policy', policy], io)).toBe(2);
    expect(err.join('\n')).toMatch(/maxCapacity: must be at least minCapacity \(5\), was: 2/);
  });

  it('--plan-less-baselines reaches the settings', async () => {
    const { io, out } = recordingIo();
    expect(
      await main(['simulate', '--trace', file('plan-less.csv', smallTrace()), '--plan-less-baselines', '--json'], io),
    ).toBe(0);
    expect(JSON.parse(out.join('\n')).settings.baselineSchedules).toBe(false);
  });

  it('replays a slice of the bundled Azure conversation trace', async () => {
    const slice = readFileSync(new URL('../../../data/AzureLLMInferenceTrace_conv.csv', import.meta.url), 'utf8')
      .split('\n')
      .slice(0, 3001)
      .join('\n');
    const { io, out } = recordingIo();
    expect(await main(['simulate', '--trace', file('conv-slice.csv', slice), '--json'], io)).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.workload.requests).toBe(3000);
    expect(report.runs).toHaveLength(8);
  });
});
