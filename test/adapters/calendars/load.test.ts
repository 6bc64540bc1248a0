/**
 * The exchanges' rules handed to the core (adapters/calendars/load.ts), as croner is: the facts a document's
 * validation needs are the rules' own, a date resolved before the rules are loaded is a typed error (never a
 * silent "open"), and the shell loads them before deciding for a policy that names an exchange. The modules are
 * evaluated afresh for that (the tests' setup has loaded the rules for every other file).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { EXCHANGE_CODES, exchangeTimeZone, regularSessionMinutes } from '../../../core/calendars/index.ts';
import { parseDate, minutesOf } from '../../../core/calendars/dates.ts';
import { EXCHANGE_RULES } from '../../../core/calendars/rules.ts';

const example = JSON.parse(
  readFileSync(new URL('../../../examples/nyse-trading-hours.policy.json', import.meta.url), 'utf8'),
);

describe('the exchange calendars, handed in', () => {
  it("knows each exchange's code, zone and regular session as its rules give them", () => {
    expect(EXCHANGE_CODES).toEqual(Object.keys(EXCHANGE_RULES));
    for (const [mic, rules] of Object.entries(EXCHANGE_RULES)) {
      const hours = rules.hours(parseDate('2026-01-05'));
      const length = minutesOf(hours.close) - minutesOf(hours.open) + (rules.opensDayBefore ? 24 * 60 : 0);
      expect({ mic, timeZone: exchangeTimeZone(mic), minutes: regularSessionMinutes(mic) }).toEqual({
        mic: rules.mic,
        timeZone: rules.timeZone,
        minutes: length,
      });
    }
  });

  it('refuses a date before the rules are loaded; the shell loads them for a policy that names an exchange', async () => {
    vi.resetModules();
    const core = await import('../../../core/calendars/index.ts');
    // croner is handed to the fresh core as the setup hands it to every file's (cron lines are cron lines).
    await (await import('../../../adapters/cron/load.ts')).loadCron();
    const { needsExchangeCalendars } = await import('../../../adapters/calendars/load.ts');
    const { PolicySchema } = await import('../../../core/schema/policy.ts');
    const { MemoryStateStore } = await import('../../../adapters/state/memory-store.ts');
    const { createShell } = await import('../../../functions/shell/shell.ts');
    const { decide } = await import('../../../core/decide.ts');
    const { testTarget } = await import('../state/fixtures.ts');
    const { metricSignal, RecordingActuator, RecordingLogger } = await import('../../functions/shell/support/fakes.ts');
    expect(core.exchangeRulesProvided()).toBe(false);
    expect(() => core.exchangeDay('XNYS', '2026-12-25')).toThrow(core.ExchangeRulesNotLoadedError);
    // What validation needs is there without them.
    expect(core.regularSessionMinutes('XNYS')).toBe(390);
    const nyse = PolicySchema.parse(example);
    const plan = nyse.schedules[0]!;
    const planWith = (changes: object) => PolicySchema.parse({ ...example, schedules: [{ ...plan, ...changes }] });
    expect(needsExchangeCalendars(nyse)).toBe(true);
    expect(needsExchangeCalendars(PolicySchema.parse({}))).toBe(false);
    // A calendar of the policy's own is a list of dates; a built-in one is an exchange's.
    const own = { ...example, calendars: { ops: ['2026-12-24'] } };
    const cron = { session: undefined, start: '30 9 * * 1-5', end: '0 16 * * 1-5', timezone: 'America/New_York' };
    expect(
      needsExchangeCalendars(
        PolicySchema.parse({ ...own, schedules: [{ ...plan, ...cron, excludeCalendars: ['ops'] }] }),
      ),
    ).toBe(false);
    for (const name of core.BUILT_IN_CALENDAR_NAMES)
      expect(needsExchangeCalendars(planWith({ ...cron, excludeCalendars: [name] })), name).toBe(true);

    const T = Date.parse('2026-12-24T15:00:00Z');
    const store = new MemoryStateStore({}, () => T);
    await store.putTarget(testTarget('nyse'));
    await store.putPolicy('nyse', nyse);
    const actuator = new RecordingActuator();
    const shell = createShell({
      store,
      decide,
      actuators: actuator.actuators,
      clock: { now: () => T },
      logger: new RecordingLogger(),
    });
    const result = await shell.handle({ targetId: 'nyse', signal: metricSignal('e1', 50, T) });
    expect(result.status).toBe('decided');
    expect(core.exchangeRulesProvided()).toBe(true);
    expect(core.exchangeDay('XNYS', '2026-12-25')).toMatchObject({ status: 'closed', reason: 'Christmas Day' });
    vi.resetModules();
  });
});
