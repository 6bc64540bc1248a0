import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decide.ts';
import type { ExchangeOverride } from '../../core/calendars/types.ts';
import { PolicySchema } from '../../core/index.ts';
import { evaluatePlans } from '../../core/strategies/schedule.ts';
import { input } from './builders.ts';

const example = (name: string) =>
  PolicySchema.parse(JSON.parse(readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8')));
const nyse = example('nyse-trading-hours.policy.json');
const london = example('london-desk.policy.json');
const sun = example('follow-the-sun.policy.json');
const at = (iso: string) => Date.parse(iso);

function floorAt(policy: typeof nyse, iso: string, overrides: ExchangeOverride[] = []): number {
  const active = evaluatePlans(policy.schedules, policy.calendars, {}, at(iso), overrides).active;
  return Math.max(0, ...active.map((plan) => plan.floor));
}

describe('plans that follow a session', () => {
  it.each([
    { label: 'NYSE 09:14 ET: nothing yet', policy: nyse, iso: '2026-11-25T14:14:00Z', floor: 0 },
    { label: 'NYSE 09:15 ET: 15 minutes before the open', policy: nyse, iso: '2026-11-25T14:15:00Z', floor: 6 },
    { label: 'NYSE 09:30 ET: the first 30 minutes ask for 12', policy: nyse, iso: '2026-11-25T14:30:00Z', floor: 12 },
    { label: 'NYSE 10:00 ET: back to the session floor', policy: nyse, iso: '2026-11-25T15:00:00Z', floor: 6 },
    { label: 'Thanksgiving: closed', policy: nyse, iso: '2026-11-26T15:00:00Z', floor: 0 },
    { label: 'day after Thanksgiving 12:59 ET: open', policy: nyse, iso: '2026-11-27T17:59:00Z', floor: 6 },
    { label: 'day after Thanksgiving 13:00 ET: early close', policy: nyse, iso: '2026-11-27T18:00:00Z', floor: 0 },
    { label: 'Christmas Eve 2026 13:00 ET: early close', policy: nyse, iso: '2026-12-24T18:00:00Z', floor: 0 },
    { label: 'London 07:40: 20 minutes before the LSE open', policy: london, iso: '2026-03-09T07:40:00Z', floor: 4 },
    { label: 'London 16:44: 15 minutes past the close', policy: london, iso: '2026-03-09T16:44:00Z', floor: 4 },
    { label: 'London 16:45: released', policy: london, iso: '2026-03-09T16:45:00Z', floor: 0 },
    {
      label: 'London 12:40 on 24 Dec 2026: after the 12:30 close + 15',
      policy: london,
      iso: '2026-12-24T12:46:00Z',
      floor: 0,
    },
    {
      label: 'London 19:30 Easter Monday: the cron batch skips an XLON holiday',
      policy: london,
      iso: '2026-04-06T18:30:00Z',
      floor: 0,
    },
    { label: 'London 19:30 Tuesday: the cron batch runs', policy: london, iso: '2026-04-07T18:30:00Z', floor: 2 },
    { label: 'Tokyo 08:45 JST: pre-warm', policy: sun, iso: '2026-03-09T23:45:00Z', floor: 4 },
    { label: 'Tokyo 11:45 JST: lunch releases the floor', policy: sun, iso: '2026-03-10T02:45:00Z', floor: 0 },
    {
      label: 'Tokyo 12:15 JST: back 15 minutes before the afternoon',
      policy: sun,
      iso: '2026-03-10T03:15:00Z',
      floor: 4,
    },
    { label: '08:00 London: London raises to 8', policy: sun, iso: '2026-03-10T08:00:00Z', floor: 8 },
    { label: '14:30 London: New York opens above London', policy: sun, iso: '2026-03-10T13:30:00Z', floor: 12 },
    {
      label: 'Tokyo on the equinox 2026-03-20: closed, London still comes',
      policy: sun,
      iso: '2026-03-20T01:00:00Z',
      floor: 0,
    },
  ])('$label: floor $floor', ({ policy, iso, floor }) => {
    expect(floorAt(policy, iso)).toBe(floor);
  });

  it('a window anchored at the close moves with an early close (the last 15 minutes, 5 after)', () => {
    const close = PolicySchema.parse({
      schedules: [
        {
          name: 'close',
          session: { exchange: 'XNYS', startMinutesBeforeClose: 15, closeOffsetMinutes: 5 },
          minCapacity: 7,
        },
      ],
    });
    expect(floorAt(close, '2026-11-27T17:44:00Z')).toBe(0); // 12:44 ET
    expect(floorAt(close, '2026-11-27T17:45:00Z')).toBe(7); // 12:45 ET, 15 minutes before the 13:00 early close
    expect(floorAt(close, '2026-11-27T18:05:00Z')).toBe(0); // 13:05 ET
    expect(floorAt(close, '2026-12-01T20:45:00Z')).toBe(7); // 15:45 ET on a regular day
  });

  it('obeys a recorded closure and says why in the decision', () => {
    const closure: ExchangeOverride = {
      exchange: 'XNYS',
      date: '2027-01-08',
      status: 'closed',
      reason: 'National Day of Mourning',
    };
    expect(floorAt(nyse, '2027-01-08T15:00:00Z')).toBe(6);
    expect(floorAt(nyse, '2027-01-08T15:00:00Z', [closure])).toBe(0);
    const decision = decide(
      input({ now: at('2027-01-08T15:00:00Z'), desired: 6, policy: nyse, exchangeOverrides: [closure] }),
    );
    expect(decision.reasons.join('\n')).toContain(
      'XNYS closed on 2027-01-08: closure recorded by an operator: National Day of Mourning',
    );
  });

  it('obeys changed hours (an early close recorded as data)', () => {
    const hours: ExchangeOverride = {
      exchange: 'XNYS',
      date: '2027-01-08',
      status: 'hours',
      close: '14:00',
      reason: 'systems',
    };
    expect(floorAt(nyse, '2027-01-08T18:59:00Z', [hours])).toBe(6);
    expect(floorAt(nyse, '2027-01-08T19:00:00Z', [hours])).toBe(0);
  });

  it('holds the floor on a date the calendar cannot know, and says so; a policy can choose to release', () => {
    const future = PolicySchema.parse({
      schedules: [{ name: 'hk', session: { exchange: 'XHKG' }, minCapacity: 5 }],
    });
    const release = PolicySchema.parse({
      schedules: [{ name: 'hk', session: { exchange: 'XHKG' }, minCapacity: 5, unknownDates: 'release' }],
    });
    const iso = '2033-03-01T02:00:00Z'; // 10:00 HKT, after the lunar-date table ends
    expect(floorAt(future, iso)).toBe(5);
    expect(floorAt(release, iso)).toBe(0);
    const decision = decide(input({ now: at(iso), desired: 0, policy: future }));
    expect(decision.reasons.join('\n')).toMatch(/cannot know this date .*missed open costs more than an idle hour/);
    expect(decision.desiredCapacity).toBe(5);
  });

  it('keeps working through decide across a day with a lunch break (Hong Kong), no cron line', () => {
    const hk = PolicySchema.parse({
      schedules: [{ name: 'hk', session: { exchange: 'XHKG' }, minCapacity: 3 }],
    });
    let memory: ReturnType<typeof decide>['memory'] | undefined;
    const floors: number[] = [];
    for (const iso of [
      '2026-03-10T01:29:00Z',
      '2026-03-10T01:30:00Z',
      '2026-03-10T04:30:00Z',
      '2026-03-10T05:00:00Z',
      '2026-03-10T08:00:00Z',
    ]) {
      const d = decide(input({ now: at(iso), desired: 0, policy: hk, ...(memory ? { memory } : {}) }));
      memory = d.memory;
      floors.push(d.desiredCapacity);
    }
    // The policy minimum (1) outside the sessions and over lunch; the plan's 3 inside them.
    expect(floors).toEqual([1, 3, 1, 3, 1]);
  });
});

describe('bad session plans name the field and the value', () => {
  it.each([
    {
      label: 'an unknown exchange code',
      plan: { name: 'p', session: { exchange: 'XNYZ' }, minCapacity: 1 },
      path: 'schedules.0.session.exchange',
      message: 'was: "XNYZ"',
    },
    {
      label: 'an open offset past the session length',
      plan: { name: 'p', session: { exchange: 'XNYS', openOffsetMinutes: 400 }, minCapacity: 1 },
      path: 'schedules.0.session.openOffsetMinutes',
      message: 'regular session length (390 minutes), was: 400',
    },
    {
      label: 'a close offset that ends before the start',
      plan: { name: 'p', session: { exchange: 'XTKS', closeOffsetMinutes: -400 }, minCapacity: 1 },
      path: 'schedules.0.session.closeOffsetMinutes',
      message: 'was: -400',
    },
    {
      label: 'both a cron start and a session',
      plan: { name: 'p', start: '0 9 * * 1-5', durationMinutes: 60, session: { exchange: 'XNYS' }, minCapacity: 1 },
      path: 'schedules.0.start',
      message: 'give exactly one of "start" (cron) or "session"',
    },
    {
      label: 'an unknown calendar name in excludeCalendars',
      plan: { name: 'p', start: '0 9 * * 1-5', durationMinutes: 60, minCapacity: 1, excludeCalendars: ['XNYZ'] },
      path: 'schedules.0.excludeCalendars.0',
      message: 'was: "XNYZ"',
    },
  ])('$label', ({ plan, path, message }) => {
    const result = PolicySchema.safeParse({ schedules: [plan] });
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message).toContain(message);
  });
});
