/**
 * Samples kept at a resolution (core/strategies/metric-samples.ts): what the windows read from the merged
 * entries is what they would read from every raw sample, within the documented bound, and a metric's entries
 * never exceed `ceil(windowMs / resolutionMs) + 1` (plus one for each sample stamped after its fold's time,
 * while it is in the window), however many samples arrive.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addSample,
  aggregate,
  aggregateTwo,
  pruneSamples,
  sampleKeeping,
  type AggregatedValue,
  type Sample,
  type SampleEntry,
  type SampleKeeping,
  type SampleStore,
} from '../../core/strategies/metric-samples.ts';
import { policy, T0 } from './builders.ts';

const METRIC = 'gpu_utilization';

interface Raw {
  at: number;
  value: number;
}

/** The exact aggregate of raw samples, as `aggregate` computed it when every sample was kept. */
function exact(raw: readonly Raw[], included: (sample: Raw) => boolean, now: number, staleMs: number) {
  const past = raw.filter((sample) => sample.at <= now);
  let latest: Raw | undefined;
  for (const sample of past) if (!latest || sample.at >= latest.at) latest = sample;
  if (!latest || now - latest.at > staleMs) return undefined;
  const read = past.filter(included);
  return {
    latest,
    count: read.length,
    sum: read.reduce((total, sample) => total + sample.value, 0),
    max: read.reduce((most, sample) => Math.max(most, sample.value), -Infinity),
  };
}

const closeTo = (actual: number, expected: number, scale: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, scale));

/** A run: policy windows, and samples at nondecreasing times, each folded at its own time or later. */
const runArb = fc.record({
  windowSeconds: fc.constantFrom(0, 1, 6, 30, 60, 300, 2400),
  burstSeconds: fc.constantFrom(0, 1, 6),
  staleSeconds: fc.constantFrom(1, 10, 300),
  aggregation: fc.constantFrom('average' as const, 'max' as const, 'latest' as const),
  steps: fc.array(
    fc.record({
      gapMs: fc.oneof(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 400_000 })),
      value: fc.double({ min: -1e3, max: 1e3, noNaN: true }),
      /** How long before the fold the sample was taken (late alarms), ms; negative: a sender's clock ahead. */
      lagMs: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, fc.integer({ min: -60_000, max: 20_000 })),
    }),
    { minLength: 1, maxLength: 300 },
  ),
});

type Run = typeof runArb extends fc.Arbitrary<infer T> ? T : never;

function policyOf(run: Run) {
  return policy({
    targetTracking: [
      { metric: METRIC, targetValue: 50, windowSeconds: run.windowSeconds, aggregation: run.aggregation },
    ],
    burst: run.burstSeconds === 0 ? { enabled: false } : { enabled: true, windowSeconds: run.burstSeconds },
    missingMetrics: { staleAfterSeconds: run.staleSeconds },
  });
}

type Add = (store: SampleStore, sample: Sample, now: number, keeping: SampleKeeping) => SampleStore;
const add: Add = (store, sample, now, keeping) => addSample(store, METRIC, sample, now, keeping);

/**
 * Fold the run's samples as the fold does (a stale sample is not recorded) and check every read against the
 * raw samples: `onTime` runs stamp each sample at its fold's time (what a webhook or queue does), the others
 * bring late and future-stamped samples too.
 */
function checkRun(run: Run, onTime: boolean, addTo: Add = add): void {
  const p = policyOf(run);
  const keeping = sampleKeeping(p, METRIC);
  const step = keeping.resolutionMs;
  const raw: Raw[] = [];
  /** Times of samples stamped after their fold's `now`: each may keep an entry of its own until it expires. */
  const ahead: number[] = [];
  let store: SampleStore = {};
  let now = T0;
  for (const { gapMs, value, lagMs } of run.steps) {
    now += gapMs;
    const at = onTime ? now : now - lagMs;
    store = pruneSamples(store, p, now, METRIC);
    const recorded = now - at <= keeping.staleMs;
    if (recorded) {
      store = addTo(store, [at, value], now, keeping);
      raw.push({ at, value });
      if (at > now) ahead.push(at);
    }
    const entries: SampleEntry[] = store[METRIC] ?? [];
    // The size bound, after each fold that records a sample (one that records none leaves the entries as the
    // last one did): one entry per step of the longest window, or the newest one before it; and one more for
    // each sample stamped after its fold's time, until it leaves the window.
    const apart = ahead.filter((at) => at > now - keeping.windowMs).length;
    if (recorded) expect(entries.length).toBeLessThanOrEqual(Math.ceil(keeping.windowMs / step) + 1 + apart);
    for (let i = 1; i < entries.length; i++) expect(entries[i]![0]).toBeGreaterThanOrEqual(entries[i - 1]![0]);
    const [long, short] = aggregateTwo(
      entries,
      now,
      run.windowSeconds,
      run.aggregation,
      run.burstSeconds,
      keeping.staleMs,
    );
    expect(long).toEqual(aggregate(entries, now, run.windowSeconds, run.aggregation, keeping.staleMs));
    checkWindow(long, raw, now, run.windowSeconds, run.aggregation, keeping, onTime);
    checkWindow(short, raw, now, run.burstSeconds, 'average', keeping, onTime);
  }
}

function checkWindow(
  read: AggregatedValue | undefined,
  raw: readonly Raw[],
  now: number,
  windowSeconds: number,
  aggregation: 'average' | 'max' | 'latest',
  keeping: SampleKeeping,
  onTime: boolean,
): void {
  const start = now - windowSeconds * 1000;
  const step = (at: number) => Math.floor(at / keeping.resolutionMs);
  const inWindow = (sample: Raw) => sample.at > start || (windowSeconds === 0 && sample.at === now);
  // The window as kept samples read it: whole steps whose newest sample is inside the window.
  const steps = new Set(raw.filter((sample) => sample.at <= now && inWindow(sample)).map((s) => step(s.at)));
  const narrow = exact(raw, inWindow, now, keeping.staleMs);
  const wide = exact(raw, (sample) => inWindow(sample) || steps.has(step(sample.at)), now, keeping.staleMs);
  // Staleness, the newest sample's time (and its value for `latest`) are exact.
  expect(read === undefined).toBe(narrow === undefined);
  if (!read || !narrow || !wide) return;
  expect(read.latestAt).toBe(narrow.latest.at);
  if (narrow.count === 0 || aggregation === 'latest' || windowSeconds === 0) {
    expect(read).toEqual({ value: narrow.latest.value, count: 1, latestAt: narrow.latest.at });
    return;
  }
  // The samples read lie between the window and the window widened to whole steps: at most one step more.
  expect(read.count).toBeGreaterThanOrEqual(narrow.count);
  expect(read.count).toBeLessThanOrEqual(wide.count);
  if (aggregation === 'max') {
    expect(read.value).toBeGreaterThanOrEqual(narrow.max);
    expect(read.value).toBeLessThanOrEqual(wide.max);
  }
  // Stamped at their fold's time, every sample of a step lands in one entry: the read is the wide one exactly.
  if (onTime) {
    expect(read.count).toBe(wide.count);
    const scale = raw.reduce((total, sample) => total + Math.abs(sample.value), 0);
    if (aggregation === 'average') closeTo(read.value * read.count, wide.sum, scale);
    else expect(read.value).toBe(wide.max);
  }
}

describe('metric samples kept at a resolution', () => {
  it('read as every raw sample would be, widened by at most one step, and stay within the size bound', () => {
    fc.assert(
      fc.property(runArb, (run) => checkRun(run, true)),
      { numRuns: 300 },
    );
  });

  it('late and future-stamped samples: staleness and the newest sample exact, counts and max within one step', () => {
    fc.assert(
      fc.property(runArb, (run) => checkRun(run, false)),
      { numRuns: 300 },
    );
  });

  it('the property can fail: steps ten times coarser than the resolution are caught', () => {
    const coarse: Add = (store, sample, now, keeping) =>
      addSample(store, METRIC, sample, now, { ...keeping, resolutionMs: keeping.resolutionMs * 10 });
    const result = fc.check(
      fc.property(runArb, (run) => checkRun(run, true, coarse)),
      { numRuns: 300 },
    );
    expect(result.failed).toBe(true);
  });

  it('500 samples a second for ten minutes keep one entry per second of the 60 s window', () => {
    const p = policy({ targetTracking: [{ metric: METRIC, targetValue: 50 }] });
    const keeping = sampleKeeping(p, METRIC);
    expect(keeping).toEqual({ windowMs: 60_000, staleMs: 300_000, resolutionMs: 1000 });
    let store: SampleStore = {};
    const values: number[] = [];
    // Samples every 2 ms, the last at T0 + 600,001 ms: the window (T0 + 540,001, T0 + 600,001] starts 1 ms
    // into a second, and the sample at T0 + 540,001 is outside it but shares its step with those inside.
    for (let at = T0 + 1; at <= T0 + 600_001; at += 2) {
      const value = (at - T0) % 7;
      store = addSample(store, METRIC, [at, value], at, keeping);
      if (at >= T0 + 540_000) values.push(value);
    }
    const entries = store[METRIC]!;
    expect(entries.length).toBe(61);
    expect(JSON.stringify(entries).length).toBeLessThan(61 * 45);
    const read = aggregate(entries, T0 + 600_001, 60, 'average', keeping.staleMs)!;
    // 30,000 samples in the window, and the one of its first second stamped at its start.
    expect(read.count).toBe(30_001);
    expect(read.value).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
  });

  it('a window of 2,400 s is kept in 2 s steps: under 1,802 entries', () => {
    const p = policy({ targetTracking: [{ metric: METRIC, targetValue: 50, windowSeconds: 2400 }] });
    expect(sampleKeeping(p, METRIC).resolutionMs).toBe(2000);
  });
});
