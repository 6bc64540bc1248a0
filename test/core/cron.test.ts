/** Cron lines as plans read them (core/cron.ts): validation, time zones, and daylight saving time. */
import { describe, expect, it, vi } from 'vitest';
import { cronOccurrences, cronProblem } from '../../core/cron.ts';

const take = (expression: string, timeZone: string, from: string, n: number) => {
  const it = cronOccurrences(expression, timeZone, Date.parse(from));
  return Array.from({ length: n }, () => new Date(it.next() ?? Number.NaN).toISOString());
};

describe('cron lines', () => {
  it('accepts 5 fields, or 6 with seconds first', () => {
    expect(cronProblem('30 9 * * 1-5')).toBeUndefined();
    expect(cronProblem('*/5 * * * * *')).toBeUndefined();
    expect(take('*/5 * * * * *', 'UTC', '2026-03-10T00:00:00Z', 2)).toEqual([
      '2026-03-10T00:00:05.000Z',
      '2026-03-10T00:00:10.000Z',
    ]);
  });

  it.each([
    ['30 25 * * 1-5', /hour: 25/],
    ['61 * * * *', /minute: 61/],
    ['0 0 * * 8', /dayOfWeek: 8/],
    ['* * *', /expected 5 fields/],
    ['* * * * * * *', /expected 5 fields/],
    ['H 9 * * *', /randomized "H"/],
    ['0 0 30 2 *', /matches no date/],
  ])('refuses %s, saying why', (expression, why) => {
    expect(cronProblem(expression)).toMatch(why);
  });

  it('reads the line in the time zone, strictly after the instant given', () => {
    // 09:30 in New York is 14:30Z before DST starts (2026-03-08) and 13:30Z after.
    expect(take('30 9 * * 1-5', 'America/New_York', '2026-03-06T14:30:00Z', 2)).toEqual([
      '2026-03-09T13:30:00.000Z',
      '2026-03-10T13:30:00.000Z',
    ]);
  });

  it('a time in the spring-forward gap fires at the first valid time after it; a repeated time fires once', () => {
    // 2026-03-08 in New York: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist that night.
    expect(take('30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z', 3)).toEqual([
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
      '2026-03-10T06:30:00.000Z',
    ]);
    // 2026-11-01: 01:30 happens twice (EDT, then EST); the line fires once, at the first.
    expect(take('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', 2)).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
  });

  it('handles a half-hour DST shift (Lord Howe Island)', () => {
    // UTC+11 in summer, UTC+10:30 from 2026-04-05 02:00 local.
    expect(take('0 12 * * *', 'Australia/Lord_Howe', '2026-04-03T00:00:00Z', 3)).toEqual([
      '2026-04-03T01:00:00.000Z',
      '2026-04-04T01:00:00.000Z',
      '2026-04-05T01:30:00.000Z',
    ]);
  });
});

describe('croner is handed in (core/cron.ts)', () => {
  it('a cron line read before croner is loaded is a CronNotLoadedError naming the line, in validation too', async () => {
    vi.resetModules();
    // A fresh copy of core's modules: nothing has handed croner to it.
    const cron = await import('../../core/cron.ts');
    const { PlanSchema } = await import('../../core/schema/plan.ts');
    expect(cron.cronProvided()).toBe(false);
    expect(() => cron.cronProblem('0 9 * * 1-5')).toThrow(cron.CronNotLoadedError);
    expect(() => cron.cronSchedule('0 9 * * 1-5', 'UTC').after(0)).toThrow(/cron line "0 9 \* \* 1-5" read before/);
    expect(() => PlanSchema.parse({ name: 'p', start: '0 9 * * 1-5', durationMinutes: 60, minCapacity: 1 })).toThrow(
      cron.CronNotLoadedError,
    );
    const { loadCron, needsCron } = await import('../../adapters/cron/load.ts');
    expect(needsCron('{"schedules":[]}')).toBe(false);
    expect(needsCron('{"schedules":[{"name":"p"}]}')).toBe(true);
    expect(needsCron(null)).toBe(false);
    await loadCron();
    expect(cron.cronProblem('0 9 * * 1-5')).toBeUndefined();
    expect(needsCron('{"schedules":[{"name":"p"}]}')).toBe(false);
  });
});
