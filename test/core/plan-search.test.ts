/**
 * A cron plan's cursor is found by searching the cron line backward and forward from now, not by walking
 * every occurrence of the last window length: the work is bounded by a count (cron searches), whatever
 * the line's frequency, and the result is the walk's (the old algorithm, kept here unbounded as the oracle).
 */
import { Cron } from 'croner';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cronOccurrences } from '../../core/cron.ts';
import { PlanSchema, type Plan } from '../../core/schema/plan.ts';
import type { PlanCursor } from '../../core/schema/memory.ts';
import {
  computePlanCursor,
  localDateTime,
  planExclusions,
  planFingerprint,
  type Exclusions,
} from '../../core/strategies/schedule.ts';

const WEEK = 7 * 24 * 3600_000;

function cursorOf(plan: Plan, now: number): PlanCursor {
  const exclusions = planExclusions(plan, {});
  return computePlanCursor(plan, exclusions, planFingerprint(plan, exclusions), now);
}

/** Cron searches made while `run` runs (croner's nextRun and previousRuns). */
function countSearches(run: () => void): number {
  const next = vi.spyOn(Cron.prototype, 'nextRun');
  const previous = vi.spyOn(Cron.prototype, 'previousRuns');
  run();
  return next.mock.calls.length + previous.mock.calls.length;
}
afterEach(() => vi.restoreAllMocks());

describe('a cron plan is evaluated with a bounded number of cron searches', () => {
  const now = Date.parse('2026-03-11T15:17:30Z');
  const minutely = (extra: object = {}) =>
    PlanSchema.parse({ name: 'every-minute', start: '* * * * *', end: '0 0 * * 0', minCapacity: 2, ...extra });

  it('`* * * * *` with a window of up to 7 days: a few searches, not one per minute of the week', () => {
    let cursor: PlanCursor | undefined;
    // The walk this replaced stepped through every minute of the 7 days before now: 10,080 occurrences.
    const searches = countSearches(() => {
      cursor = cursorOf(minutely(), now);
    });
    expect(searches).toBeLessThanOrEqual(6);
    expect(cursor).toMatchObject({ active: true, windowStart: Date.parse('2026-03-11T15:17:00Z') });
  });

  it('each excluded date costs one more search each way, whatever the line fires on it', () => {
    const excludeDates = ['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13'];
    let cursor: PlanCursor | undefined;
    const searches = countSearches(() => {
      cursor = cursorOf(minutely({ excludeDates, durationMinutes: 5 * 24 * 60, end: undefined }), now);
    });
    // 3 excluded dates before now (9-11 March) and 2 after (12-13), plus the end of the window.
    expect(searches).toBeLessThanOrEqual(2 + 3 + 3 + 2);
    expect(cursor).toMatchObject({
      active: true,
      windowStart: Date.parse('2026-03-08T23:59:00Z'),
      validUntil: Date.parse('2026-03-08T23:59:00Z') + 5 * 24 * 3600_000,
    });
  });
});

/** The walk this replaced: every occurrence from one maximal window before now, forward (unbounded here). */
function walkedCursor(plan: Plan, exclusions: Exclusions, fingerprint: string, now: number): PlanCursor {
  const lead = plan.preWarmSeconds * 1000;
  const maxLength = plan.durationMinutes !== undefined ? plan.durationMinutes * 60_000 : WEEK;
  const horizon = now + lead;
  const excluded = (at: number) => exclusions.dates.has(localDateTime(at, plan.timezone)[0]);
  const starts = cronOccurrences(plan.start!, plan.timezone, horizon - maxLength - 1);
  let last: number | undefined;
  let nextStart: number | undefined;
  for (let i = 0; i < 1_000_000; i += 1) {
    const at = starts.next();
    if (at === undefined) break;
    if (at > horizon) {
      if (!excluded(at)) {
        nextStart = at;
        break;
      }
      continue;
    }
    if (!excluded(at)) last = at;
  }
  const windowEnd = (start: number) =>
    plan.durationMinutes !== undefined
      ? start + plan.durationMinutes * 60_000
      : (cronOccurrences(plan.end!, plan.timezone, start).next() ?? start + WEEK);
  if (last !== undefined && now < windowEnd(last))
    return {
      fingerprint,
      validFrom: last - lead,
      validUntil: windowEnd(last),
      active: true,
      windowStart: last,
    } as PlanCursor;
  const lastEnd = last !== undefined ? windowEnd(last) : now;
  return {
    fingerprint,
    validFrom: Math.min(lastEnd, now),
    validUntil: nextStart !== undefined ? nextStart - lead : now + 24 * 3600_000,
    active: false,
  } as PlanCursor;
}

describe('the searched cursor is the walked one', () => {
  const lines = ['*/7 * * * *', '0 * * * *', '30 9 * * 1-5', '15 2 * * *', '30 1 * * *', '0 0 1 * *', '45 23 * * 5'];
  const zones = ['UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'America/Santiago'];
  const day = 24 * 3600_000;
  // 2026, around both DST changes of each zone.
  const nows = fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2026-12-31T00:00:00Z') });

  it('for any line, zone, length, pre-warm, excluded dates and time', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...lines),
        fc.constantFrom(...zones),
        fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 3 * 24 * 60 })),
        fc.integer({ min: 0, max: 7200 }),
        nows,
        fc.array(fc.integer({ min: -10, max: 10 }), { maxLength: 8 }),
        (start, timezone, durationMinutes, preWarmSeconds, now, offsets) => {
          const excludeDates = [...new Set(offsets.map((d) => localDateTime(now + d * day, timezone)[0]))];
          const plan = PlanSchema.parse({
            name: 'p',
            start,
            timezone,
            minCapacity: 1,
            preWarmSeconds,
            excludeDates,
            ...(durationMinutes === undefined ? { end: '0 18 * * *' } : { durationMinutes }),
          });
          const exclusions = planExclusions(plan, {});
          const fingerprint = planFingerprint(plan, exclusions);
          const searched = computePlanCursor(plan, exclusions, fingerprint, now);
          const walked = walkedCursor(plan, exclusions, fingerprint, now);
          expect(searched).toMatchObject(walked);
        },
      ),
      { numRuns: 150, seed: 20261129 },
    );
  });
});
