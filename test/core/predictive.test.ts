/**
 * Predictive scaling (core/strategies/predictive.ts): a daily (and with `weekly`, weekday and weekend) profile
 * of the demand, learned from the target's own decisions, and a floor of its forecast a lead ahead with
 * `forecast-and-scale`; reactive only before `minHistorySeconds` and after a wrong forecast; `forecast-only`
 * explains and never acts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decide.ts';
import { emptyMemory, PolicySchema, type Memory, type PolicyInput } from '../../core/index.ts';
import type { DemandProfile } from '../../core/schema/memory.ts';
import {
  bucketIndex,
  bucketStart,
  forecastAhead,
  forecastWasWrong,
  predictScale,
  profileKey,
  profileLength,
  recordProfile,
} from '../../core/strategies/predictive.ts';
import { input, metric, sec, T0 } from './builders.ts';

const M = 'offered_per_replica';
const at = (iso: string) => Date.parse(iso);
const rule = (overrides: PolicyInput['predictive'] = {}) =>
  PolicySchema.parse({ predictive: { mode: 'forecast-and-scale', ...overrides } }).predictive;
type Rule = ReturnType<typeof rule>;

/** A profile of `rule`'s shape with every slot at `level` (or `slots[i]`), fed `fedSeconds`, observing `now`. */
function profileOf(
  r: Rule,
  now: number,
  level: number | ((i: number) => number | null),
  fed = 2 * 86_400,
): DemandProfile {
  const peaks = Array.from({ length: profileLength(r) }, (_, i) => (typeof level === 'number' ? level : level(i)));
  return {
    key: profileKey(r),
    peaks,
    fedSeconds: r.weekly ? [fed, fed] : [fed],
    bucketAt: bucketStart(r, now),
    peak: null,
    smoothed: 0,
    smoothedAt: 0,
  };
}

describe('buckets: slots of the UTC day, weekend slots after weekday ones', () => {
  it.each([
    { label: 'midnight opens slot 0', iso: '2026-03-02T00:00:00Z', bucketSeconds: 900, weekly: false, index: 0 },
    {
      label: 'a second before midnight is the last slot',
      iso: '2026-03-02T23:59:59Z',
      bucketSeconds: 900,
      weekly: false,
      index: 95,
    },
    { label: '13:30 in hourly buckets', iso: '2026-03-02T13:30:00Z', bucketSeconds: 3600, weekly: false, index: 13 },
    {
      label: 'Friday 23:59 is a weekday slot',
      iso: '2026-03-06T23:59:00Z',
      bucketSeconds: 900,
      weekly: true,
      index: 95,
    },
    {
      label: 'Saturday 00:00 opens the weekend slots',
      iso: '2026-03-07T00:00:00Z',
      bucketSeconds: 900,
      weekly: true,
      index: 96,
    },
    {
      label: 'Sunday 23:59 is the last weekend slot',
      iso: '2026-03-08T23:59:00Z',
      bucketSeconds: 900,
      weekly: true,
      index: 191,
    },
    {
      label: 'Monday 00:00 is back to weekday slot 0',
      iso: '2026-03-09T00:00:00Z',
      bucketSeconds: 900,
      weekly: true,
      index: 0,
    },
    {
      label: 'without weekly a Saturday shares the daily slots',
      iso: '2026-03-07T00:15:00Z',
      bucketSeconds: 900,
      weekly: false,
      index: 1,
    },
  ])('$label', ({ iso, bucketSeconds, weekly, index }) => {
    const r = rule({ bucketSeconds, weekly });
    expect(bucketIndex(r, at(iso))).toBe(index);
    expect(bucketStart(r, at(iso)) % (bucketSeconds * 1000)).toBe(0);
    expect(bucketStart(r, at(iso))).toBeLessThanOrEqual(at(iso));
  });

  it('a bucket size that does not divide the day is refused, naming the rule', () => {
    const parsed = PolicySchema.safeParse({ predictive: { bucketSeconds: 1000 } });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('must divide a day');
  });
});

describe('recordProfile: the peak of the smoothed demand per bucket, folded into its slot when the bucket ends', () => {
  const r = rule();
  const start = at('2026-03-02T14:00:00Z');

  it('starts from the first point, smooths over about a minute, and keeps the bucket peak', () => {
    let p = recordProfile(r, undefined, { at: start, replicas: 4 }, start);
    expect(p).toMatchObject({ key: '900', smoothed: 4, peak: 4, bucketAt: start });
    // 10 s later at 10: 4 + (1 − e^(−10/60)) × 6 ≈ 4.92.
    p = recordProfile(r, p, { at: start + sec(10), replicas: 10 }, start + sec(10));
    expect(p.smoothed).toBeCloseTo(4.92, 2);
    expect(p.peak).toBeCloseTo(4.92, 2);
    // The same point again (no newer datapoint) changes nothing.
    expect(recordProfile(r, p, { at: start + sec(10), replicas: 10 }, start + sec(20)).smoothed).toBe(p.smoothed);
  });

  it.each([
    { label: 'a first day fills the slot with its peak', prior: null, peak: 7, slot: 7, verdict: undefined },
    { label: 'a later day moves the slot halfway to its peak', prior: 6, peak: 7, slot: 6.5, verdict: [6, 7] },
    { label: 'a lower day moves it down as much', prior: 6, peak: 3, slot: 4.5, verdict: [6, 3] },
  ])('$label', ({ prior, peak, slot, verdict }) => {
    const stored = { ...profileOf(r, start, (i) => (i === 56 ? prior : null), 0), peak };
    const next = recordProfile(r, stored, undefined, start + sec(900));
    expect(next.peaks[56]).toBe(slot);
    expect(next.verdict).toEqual(verdict);
    expect(next.fedSeconds).toEqual([900]);
    expect(next.bucketAt).toBe(start + sec(900));
    expect(next.peak).toBeNull();
    // The stored profile is not changed.
    expect(stored.peaks[56]).toBe(prior);
  });

  it('a bucket with no demand point feeds nothing and leaves no verdict', () => {
    const stored = { ...profileOf(r, start, 3, 0), verdict: [3, 3] as [number, number] };
    const next = recordProfile(r, stored, undefined, start + sec(3 * 900));
    expect(next.peaks).toEqual(stored.peaks);
    expect(next.fedSeconds).toEqual([0]);
    expect(next.verdict).toBeUndefined();
  });

  it('a gap of more than five minutes restarts the smoothing at the new point', () => {
    const p = recordProfile(r, undefined, { at: start, replicas: 10 }, start);
    expect(recordProfile(r, p, { at: start + sec(301), replicas: 2 }, start + sec(301)).smoothed).toBe(2);
  });

  it.each([
    { label: 'another bucket size', change: { bucketSeconds: 1800 } },
    { label: 'weekly turned on', change: { weekly: true } },
  ])('$label starts a new profile', ({ change }) => {
    const old = profileOf(r, start, 5);
    const next = recordProfile(rule(change), old, undefined, start);
    expect(next.key).toBe(profileKey(rule(change)));
    expect(next.peaks.every((v) => v === null)).toBe(true);
    expect(next.fedSeconds.every((v) => v === 0)).toBe(true);
  });

  it('history is counted per profile with weekly: a Saturday bucket feeds the weekend one', () => {
    const w = rule({ weekly: true });
    const saturday = at('2026-03-07T10:00:00Z');
    const stored = { ...profileOf(w, saturday, () => null, 0), peak: 2 };
    const next = recordProfile(w, stored, undefined, saturday + sec(900));
    expect(next.fedSeconds).toEqual([0, 900]);
    expect(next.peaks[96 + 40]).toBe(2);
  });
});

describe('predictScale', () => {
  const r = rule();
  const now = at('2026-03-03T13:55:00Z');
  // 13:45 slot (55) at 5.2, 14:00 slot (56) at 7.3, the rest at 2.
  const slots = (i: number) => (i === 55 ? 5.2 : i === 56 ? 7.3 : 2);

  it.each([
    {
      label: 'a scale-out goes to the forecast of the bucket a lead ahead',
      current: 5,
      desired: 6,
      ceiling: 40,
      floor: 8,
      keep: undefined,
      reason: 'predictive forecast 7.3 replicas for 14:00-14:15 UTC, 525 s lead: floor 8, not 6',
    },
    {
      label: 'a hold becomes a scale-out to the floor',
      current: 5,
      desired: 5,
      ceiling: 40,
      floor: 8,
      keep: undefined,
      reason: 'floor 8, not 5',
    },
    {
      label: 'a scale-in is held at the floor',
      current: 10,
      desired: 4,
      ceiling: 40,
      floor: 8,
      keep: true,
      reason: 'scale-in held at 8, not 4: predictive forecast 7.3 replicas',
    },
    {
      label: 'the floor is capped at the ceiling (maxCapacity or a plan)',
      current: 5,
      desired: 5,
      ceiling: 6,
      floor: 6,
      keep: undefined,
      reason: 'floor 6 (capped at the ceiling 6), not 5',
    },
    {
      label: 'the reactive rules may go higher: no floor below what they ask',
      current: 5,
      desired: 9,
      ceiling: 40,
      floor: undefined,
      keep: undefined,
      reason: undefined,
    },
  ])('$label', ({ current, desired, ceiling, floor, keep, reason }) => {
    const out = predictScale(r, profileOf(r, now, slots), undefined, now, 525, current, desired, ceiling);
    expect(out.floor).toBe(floor);
    expect(out.keep).toBe(keep);
    if (reason) expect(out.reason).toContain(reason);
    else expect(out.reason).toBeUndefined();
  });

  it('keeps the current bucket’s forecast until it ends: the highest of now’s and a lead ahead', () => {
    // 14:10: slot 56 (7.3) now, 14:15 slot (57, at 2) a lead ahead.
    const later = at('2026-03-03T14:10:00Z');
    expect(forecastAhead(r, profileOf(r, later, slots), later, 525)).toEqual({
      replicas: 7.3,
      bucketAt: at('2026-03-03T14:00:00Z'),
    });
  });

  it.each([
    {
      label: 'no history',
      fed: 0,
      reason: 'predictive: 0 h of history, 24 h before a forecast is used: reactive only',
    },
    { label: 'a few hours', fed: 5 * 3600, reason: 'predictive: 5 h of history, 24 h' },
  ])('min-history gate, $label: no floor, and it says so', ({ fed, reason }) => {
    const out = predictScale(r, profileOf(r, now, slots, fed), undefined, now, 525, 5, 5, 40);
    expect(out.floor).toBeUndefined();
    expect(out.reason).toContain(reason);
  });

  it('with weekly, a Saturday waits for weekend history though the weekdays have plenty', () => {
    const w = rule({ weekly: true });
    const saturday = at('2026-03-07T13:55:00Z');
    const profile = { ...profileOf(w, saturday, 7), fedSeconds: [5 * 86_400, 0] };
    expect(predictScale(w, profile, undefined, saturday, 525, 5, 5, 40).floor).toBeUndefined();
    expect(predictScale(w, profile, undefined, at('2026-03-06T13:55:00Z'), 525, 5, 5, 40).floor).toBe(7);
  });

  it.each([
    { label: 'forecast 9.2, 6.1 came: floor 10 over ceil(6.1 × 1.25) = 8', verdict: [9.2, 6.1], wrong: true },
    { label: 'forecast 7.5, 6.1 came: floor 8 within 8', verdict: [7.5, 6.1], wrong: false },
    { label: 'an under-forecast is never wrong (the reactive rules cover it)', verdict: [3, 9], wrong: false },
    { label: 'no verdict', verdict: undefined, wrong: false },
  ])('fallback on a wrong forecast: $label', ({ verdict, wrong }) => {
    const profile = { ...profileOf(r, now, slots), ...(verdict ? { verdict: verdict as [number, number] } : {}) };
    expect(forecastWasWrong(r, profile.verdict)).toBe(wrong);
    const out = predictScale(r, profile, undefined, now, 525, 5, 5, 40);
    expect(out.floor).toBe(wrong ? undefined : 8);
    if (wrong)
      expect(out.reason).toBe(
        'predictive: the last bucket was forecast at 9.2 replicas, 6.1 came (over by more than 25 %): reactive only',
      );
  });

  it.each([
    { desired: 5, says: 'would be 8, not 5' },
    { desired: 9, says: 'would not change it' },
  ])('forecast-only explains the forecast and never acts (asked $desired)', ({ desired, says }) => {
    const only = rule({ mode: 'forecast-only' });
    const out = predictScale(only, profileOf(only, now, slots), undefined, now, 525, 5, desired, 40);
    expect(out.floor).toBeUndefined();
    expect(out.reason).toContain('predictive (forecast only): forecast 7.3 replicas for 14:00-14:15 UTC');
    expect(out.reason).toContain(says);
  });
});

function policyWith(predictive: PolicyInput['predictive'], extra: PolicyInput = {}): PolicyInput {
  return {
    minCapacity: 1,
    maxCapacity: 40,
    targetTracking: [{ metric: M, targetValue: 5, windowSeconds: 60 }],
    burst: { enabled: false },
    replicaBootSeconds: 525,
    predictive,
    ...extra,
  };
}

/** 4 ready replicas at `value` per replica (4 × value ÷ 5 replicas of demand), with a learned profile. */
function decideWith(predictive: PolicyInput['predictive'], memory: Memory, value = 5, extra: PolicyInput = {}) {
  return decide(
    input({
      now: T0,
      signal: metric(M, value, T0),
      policy: policyWith(predictive, extra),
      desired: 4,
      ready: 4,
      memory,
    }),
  );
}

describe('predictive in decide', () => {
  const r = rule();
  // T0 is Monday 14:00 UTC: slot 56 to 58 a lead (525 s) ahead forecast 9.4 replicas.
  const learned = () => {
    const memory = emptyMemory();
    memory.profile = profileOf(r, T0, (i) => (i >= 56 && i <= 58 ? 9.4 : 2));
    return memory;
  };

  it('off (the default): no profile in memory, and one left from before is dropped', () => {
    const off = decide(input({ now: T0, signal: metric(M, 5, T0), policy: policyWith(undefined), memory: learned() }));
    expect(off.memory.profile).toBeUndefined();
    expect(off.reasons.some((reason) => reason.includes('predictive'))).toBe(false);
  });

  it('forecast-and-scale raises a scale-out to the floor, past the rate limits, with the figures', () => {
    const on = decideWith({ mode: 'forecast-and-scale' }, learned());
    const off = decideWith(undefined, learned());
    expect(off.desiredCapacity).toBe(4);
    expect(on.desiredCapacity).toBe(10);
    expect(on.reasons).toContain('predictive forecast 9.4 replicas for 14:00-14:15 UTC, 525 s lead: floor 10, not 4');
    expect(on.memory.profile?.smoothed).toBe(4);
  });

  it('forecast-only records the profile, explains, and decides as without it', () => {
    const only = decideWith({ mode: 'forecast-only' }, learned());
    expect(only.desiredCapacity).toBe(decideWith(undefined, learned()).desiredCapacity);
    expect(only.actions).toEqual(decideWith(undefined, learned()).actions);
    expect(only.memory.profile).toBeDefined();
    expect(only.reasons.some((reason) => reason.startsWith('predictive (forecast only): forecast 9.4'))).toBe(true);
  });

  it('never above maxCapacity', () => {
    const capped = decideWith({ mode: 'forecast-and-scale' }, learned(), 5, { maxCapacity: 7 });
    expect(capped.desiredCapacity).toBe(7);
  });

  it('a manual override beats it', () => {
    const memory = learned();
    memory.override = { capacity: 3, expiresAt: T0 + sec(600), reason: 'maintenance' };
    expect(decideWith({ mode: 'forecast-and-scale' }, memory).desiredCapacity).toBe(3);
  });
});

describe('properties', () => {
  const points = fc.array(
    fc.record({
      gapSeconds: fc.integer({ min: 1, max: 7200 }),
      replicas: fc.double({ min: 0, max: 1e5, noNaN: true }),
    }),
    { maxLength: 400 },
  );
  const settings = fc.record({
    bucketSeconds: fc.constantFrom(900, 1800, 3600),
    weekly: fc.boolean(),
  });

  it('the profile never grows: one slot per bucket, and at most 2 KB of JSON at demand under 10^5 replicas', () => {
    fc.assert(
      fc.property(settings, points, (s, seq) => {
        const r = rule(s);
        let now = T0;
        let profile: DemandProfile | undefined;
        for (const p of seq) {
          now += sec(p.gapSeconds);
          profile = recordProfile(r, profile, { at: now, replicas: p.replicas }, now);
          expect(profile.peaks.length).toBe(profileLength(r));
        }
        // 192 slots of at most 9 characters ("99999.99,") would be 1.7 KB; the rest is under 200 bytes.
        if (profile) expect(JSON.stringify(profile).length).toBeLessThanOrEqual(2048);
      }),
      { numRuns: 100 },
    );
  });

  it('a full week of 10-s datapoints with weekly 15-minute buckets stays under 2 KB', () => {
    const r = rule({ weekly: true });
    let profile: DemandProfile | undefined;
    for (let t = 0; t < 7 * 86_400; t += 10) {
      const now = T0 + sec(t);
      profile = recordProfile(r, profile, { at: now, replicas: 30 + 25 * Math.sin(t / 13_750) }, now);
    }
    expect(profile!.peaks.every((v) => v !== null)).toBe(true);
    expect(JSON.stringify(profile).length).toBeLessThanOrEqual(2048);
  });

  it('the floor never exceeds the ceiling, whatever the profile', () => {
    fc.assert(
      fc.property(
        settings,
        fc.array(fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: null }), {
          minLength: 192,
          maxLength: 192,
        }),
        fc.integer({ min: 0, max: 86_400 }),
        fc.integer({ min: 0, max: 7 * 86_400 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        (s, slots, lead, offset, ceiling, current, desired) => {
          const r = rule(s);
          const now = T0 + sec(offset);
          const profile = profileOf(r, now, (i) => slots[i] ?? null);
          const out = predictScale(r, profile, undefined, now, lead, current, Math.min(desired, ceiling), ceiling);
          if (out.floor !== undefined) {
            expect(out.floor).toBeLessThanOrEqual(ceiling);
            expect(out.floor).toBeGreaterThan(Math.min(desired, ceiling));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the floor property would catch a floor that ignored the ceiling', () => {
    // A broken variant: the raw ceil of the forecast, as the property would see it.
    const r = rule();
    const profile = profileOf(r, T0, 50);
    const out = predictScale(r, profile, undefined, T0, 0, 1, 1, 10);
    expect(out.floor).toBe(10);
    expect(Math.ceil(forecastAhead(r, profile, T0, 0)!.replicas)).toBeGreaterThan(10);
  });
});
