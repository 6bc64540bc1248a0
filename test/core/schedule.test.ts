import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decide.ts';
import { PolicySchema, type Decision } from '../../core/index.ts';
import { evaluatePlans } from '../../core/strategies/schedule.ts';
import { input, sec } from './builders.ts';

const nyse = PolicySchema.parse(
  JSON.parse(readFileSync(new URL('../../examples/nyse-trading-hours.policy.json', import.meta.url), 'utf8')),
);
const at = (iso: string) => Date.parse(iso);

function floorAt(policy: typeof nyse, iso: string): number {
  const active = evaluatePlans(policy.schedules, policy.calendars, {}, at(iso)).active;
  return Math.max(0, ...active.map((plan) => plan.floor));
}

describe('the NYSE trading-hours example across the 2026 DST changes and holidays', () => {
  it.each([
    // Friday 2026-03-06, EST (UTC−5): pre-warm 09:15 = 14:15Z, open 09:30 = 14:30Z, close 16:00 = 21:00Z.
    { label: 'Fri 6 Mar (EST) 09:14 local: closed', iso: '2026-03-06T14:14:00Z', floor: 0 },
    { label: 'Fri 6 Mar (EST) 09:15 local: pre-warm', iso: '2026-03-06T14:15:00Z', floor: 6 },
    { label: 'Fri 6 Mar (EST) 15:59 local: open', iso: '2026-03-06T20:59:00Z', floor: 6 },
    { label: 'Fri 6 Mar (EST) 16:00 local: released', iso: '2026-03-06T21:00:00Z', floor: 0 },
    // Sunday 8 March: clocks go forward. Monday 2026-03-09, EDT (UTC−4): pre-warm 13:15Z.
    { label: 'Mon 9 Mar (EDT) 08:14 EST-equivalent, i.e. 09:14 EDT: closed', iso: '2026-03-09T13:14:00Z', floor: 0 },
    { label: 'Mon 9 Mar (EDT) 09:15 local: pre-warm', iso: '2026-03-09T13:15:00Z', floor: 6 },
    { label: 'Mon 9 Mar (EDT) 15:59 local: open', iso: '2026-03-09T19:59:00Z', floor: 6 },
    {
      label: 'Mon 9 Mar (EDT) 16:00 local = 20:00Z: released (21:00Z would be an hour late)',
      iso: '2026-03-09T20:00:00Z',
      floor: 0,
    },
    // Sunday 1 November: clocks go back. Friday 30 Oct still EDT; Monday 2 Nov EST.
    { label: 'Fri 30 Oct (EDT) 09:15 local = 13:15Z: pre-warm', iso: '2026-10-30T13:15:00Z', floor: 6 },
    { label: 'Mon 2 Nov (EST) 13:15Z is 08:15 local: closed', iso: '2026-11-02T13:15:00Z', floor: 0 },
    { label: 'Mon 2 Nov (EST) 09:15 local = 14:15Z: pre-warm', iso: '2026-11-02T14:15:00Z', floor: 6 },
    { label: 'Mon 2 Nov (EST) 16:00 local = 21:00Z: released', iso: '2026-11-02T21:00:00Z', floor: 0 },
    // Holidays: Thanksgiving 2026-11-26 and Good Friday 2027-03-26 are closed; the day after Thanksgiving opens.
    { label: 'Thanksgiving 2026 10:00 local: closed', iso: '2026-11-26T15:00:00Z', floor: 0 },
    { label: 'day after Thanksgiving 10:00 local: open', iso: '2026-11-27T15:00:00Z', floor: 6 },
    { label: 'Good Friday 2027 10:00 local: closed', iso: '2027-03-26T14:00:00Z', floor: 0 },
    { label: 'Juneteenth observed 2027-06-18 10:00 local: closed', iso: '2027-06-18T14:00:00Z', floor: 0 },
    { label: 'Saturday 10:00 local: closed', iso: '2026-03-07T15:00:00Z', floor: 0 },
  ])('$label', ({ iso, floor }) => {
    expect(floorAt(nyse, iso)).toBe(floor);
  });

  it('pre-warms, holds through the session, releases after the close (through decide)', () => {
    const target = 'concurrent_requests_per_replica';
    let desired = 0;
    let memory: Decision['memory'] | undefined;
    const trace: [string, number][] = [];
    // Monday 9 March 2026 (EDT): ticks every 5 minutes from 09:00 to 16:30 local, light traffic.
    for (let t = at('2026-03-09T13:00:00Z'); t <= at('2026-03-09T20:30:00Z'); t += sec(300)) {
      const hourLocal = (new Date(t).getUTCHours() + 20) % 24;
      const open = t >= at('2026-03-09T13:30:00Z') && t < at('2026-03-09T20:00:00Z');
      const signal = open
        ? { kind: 'metric' as const, metric: target, value: 2, observedAt: t, source: 'test' }
        : { kind: 'schedule-tick' as const, observedAt: t, source: 'test' };
      const d = decide(input({ now: t, desired, signal, policy: nyse, ...(memory ? { memory } : {}) }));
      trace.push([`${hourLocal}:${String(new Date(t).getUTCMinutes()).padStart(2, '0')}`, d.desiredCapacity]);
      memory = d.memory;
      desired = d.desiredCapacity;
    }
    const capacity = Object.fromEntries(trace);
    expect(capacity['9:10']).toBe(0);
    expect(capacity['9:15']).toBe(6); // pre-warm, 15 minutes ahead
    expect(capacity['12:00']).toBe(6); // 2 per replica would ask for 3; the plan floor holds 6
    // At the close the floor is released: the session's own recommendations (3) hold for the 300 s
    // stabilization window, then no traffic (treatMissingAsZero) takes it to zero.
    expect(capacity['16:00']).toBe(3);
    expect(capacity['16:30']).toBe(0);
  });
});

describe('Europe/London across the 2026 changes (29 March, 25 October)', () => {
  const lse = PolicySchema.parse({
    schedules: [{ name: 'lse', start: '0 8 * * 1-5', end: '30 16 * * 1-5', timezone: 'Europe/London', minCapacity: 4 }],
    minCapacity: 1,
  });
  it.each([
    { iso: '2026-03-27T08:00:00Z', floor: 4, label: 'Fri 27 Mar (GMT) 08:00 local' },
    { iso: '2026-03-30T07:00:00Z', floor: 4, label: 'Mon 30 Mar (BST) 08:00 local = 07:00Z' },
    { iso: '2026-03-30T06:59:00Z', floor: 0, label: 'Mon 30 Mar (BST) 07:59 local' },
    { iso: '2026-03-30T15:29:00Z', floor: 4, label: 'Mon 30 Mar (BST) 16:29 local' },
    { iso: '2026-03-30T15:30:00Z', floor: 0, label: 'Mon 30 Mar (BST) 16:30 local: closed' },
    { iso: '2026-10-23T07:00:00Z', floor: 4, label: 'Fri 23 Oct (BST) 08:00 local' },
    { iso: '2026-10-26T07:00:00Z', floor: 0, label: 'Mon 26 Oct (GMT) 07:00 local' },
    { iso: '2026-10-26T08:00:00Z', floor: 4, label: 'Mon 26 Oct (GMT) 08:00 local' },
  ])('$label', ({ iso, floor }) => {
    expect(floorAt(lse, iso)).toBe(floor);
  });
});

describe('overlapping plans, ceilings, durations and exclusion dates', () => {
  const p = PolicySchema.parse({
    minCapacity: 1,
    maxCapacity: 40,
    targetTracking: [{ metric: 'load', targetValue: 1, metricType: 'total', windowSeconds: 0 }],
    burst: { enabled: false },
    calendars: { 'company-offsites': ['2026-06-15'] },
    schedules: [
      {
        name: 'business-hours',
        start: '0 9 * * 1-5',
        durationMinutes: 480,
        timezone: 'America/New_York',
        minCapacity: 4,
        maxCapacity: 20,
      },
      {
        name: 'batch-window',
        start: '0 12 * * *',
        durationMinutes: 60,
        timezone: 'America/New_York',
        minCapacity: 10,
        excludeCalendars: ['company-offsites'],
      },
      {
        name: 'night-cap',
        start: '0 22 * * *',
        durationMinutes: 480,
        timezone: 'America/New_York',
        minCapacity: 0,
        maxCapacity: 2,
      },
      {
        name: 'launch',
        start: '0 0 1 6 *',
        durationMinutes: 1440,
        timezone: 'UTC',
        minCapacity: 12,
        excludeDates: ['2027-06-01'],
      },
    ],
  });
  it.each([
    { label: 'business hours only: floor 4', iso: '2026-06-16T14:00:00Z', lo: 4, hi: 20 },
    { label: 'both open at 12:30 local: the highest floor (10) wins', iso: '2026-06-16T16:30:00Z', lo: 10, hi: 20 },
    { label: 'batch window excluded on the offsite date: 4', iso: '2026-06-15T16:30:00Z', lo: 4, hi: 20 },
    { label: 'night cap: ceiling 2', iso: '2026-06-17T04:00:00Z', lo: 1, hi: 2 },
    { label: 'launch day (UTC) inside business hours: 12', iso: '2026-06-01T14:00:00Z', lo: 12, hi: 20 },
    { label: 'launch day at night: the floor 12 beats the ceiling 2', iso: '2026-06-01T03:00:00Z', lo: 12, hi: 12 },
    { label: 'launch day 2027 excluded', iso: '2027-06-01T14:00:00Z', lo: 4, hi: 20 },
  ])('$label', ({ iso, lo, hi }) => {
    const load = (value: number) => ({
      kind: 'metric' as const,
      metric: 'load',
      value,
      observedAt: at(iso),
      source: 'test',
    });
    const up = decide(input({ now: at(iso), desired: 30, signal: load(1000), policy: p, observedAt: at(iso) }));
    const down = decide(input({ now: at(iso), desired: 0, signal: load(0), policy: p, observedAt: at(iso) }));
    expect(down.desiredCapacity).toBe(lo);
    expect(up.desiredCapacity).toBe(hi);
  });
});

describe('plan windows are cached in memory and recomputed when they lapse or the plan changes', () => {
  it('reuses the cursor inside a window and recomputes at its end', () => {
    const first = evaluatePlans(nyse.schedules, nyse.calendars, {}, at('2026-03-09T14:00:00Z'));
    const cursor = first.cursors['nyse-regular-session'];
    expect(cursor?.active).toBe(true);
    expect(cursor?.label).toBe('XNYS 2026-03-09 09:30–16:00 America/New_York');
    const again = evaluatePlans(nyse.schedules, nyse.calendars, first.cursors, at('2026-03-09T15:00:00Z'));
    expect(again.cursors['nyse-regular-session']).toBe(cursor);
    const after = evaluatePlans(nyse.schedules, nyse.calendars, first.cursors, at('2026-03-09T20:00:00Z'));
    expect(after.cursors['nyse-regular-session']?.active).toBe(false);
    expect(after.cursors['nyse-regular-session']?.label).toMatch(/next window XNYS 2026-03-10 09:30/);
  });
  it('a changed plan is not served from a stale cursor', () => {
    const first = evaluatePlans(nyse.schedules, nyse.calendars, {}, at('2026-03-09T14:00:00Z'));
    // The session plan now starts 90 minutes after the open (11:00 ET): at 10:00 ET nothing is active.
    const changed = PolicySchema.parse({
      ...nyse,
      schedules: [{ ...nyse.schedules[0], session: { exchange: 'XNYS', openOffsetMinutes: 90 } }],
    });
    const result = evaluatePlans(changed.schedules, changed.calendars, first.cursors, at('2026-03-09T14:00:00Z'));
    expect(result.active).toEqual([]);
  });
});
