/**
 * The tick's interval: the app setting TIDE_TICK_INTERVAL_SECONDS, validated and bounded (30 s to 1 h, an
 * interval a six-field NCRONTAB expresses evenly), the same list as infra/azure/main.json's `tickIntervalSeconds`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TICK_INTERVALS_SECONDS,
  TickIntervalError,
  tickIntervalSeconds,
  tickSchedule,
} from '../../../functions/azure/schedule.ts';

describe('TIDE_TICK_INTERVAL_SECONDS', () => {
  it.each([
    [undefined, 60, '0 * * * * *'],
    ['', 60, '0 * * * * *'],
    ['30', 30, '0,30 * * * * *'],
    ['60', 60, '0 * * * * *'],
    [' 300 ', 300, '0 */5 * * * *'],
    ['720', 720, '0 */12 * * * *'],
    ['1800', 1800, '0 */30 * * * *'],
    ['3600', 3600, '0 0 * * * *'],
  ])('%j: every %i s, schedule %s', (value, seconds, schedule) => {
    expect(tickIntervalSeconds({ TIDE_TICK_INTERVAL_SECONDS: value })).toBe(seconds);
    expect(tickSchedule(seconds)).toBe(schedule);
  });

  it.each(['10', '29', '45', '90', '420', '7200', '60s', '1e2', '-60', '60.0', 'every minute'])(
    'refuses %j with a typed error naming the setting and the value',
    (value) => {
      expect(() => tickIntervalSeconds({ TIDE_TICK_INTERVAL_SECONDS: value })).toThrow(TickIntervalError);
      expect(() => tickIntervalSeconds({ TIDE_TICK_INTERVAL_SECONDS: value })).toThrow(
        `TIDE_TICK_INTERVAL_SECONDS must be one of 30, 60, 120, 180, 240, 300, 360, 600, 720, 900, 1200, 1800, 3600 (seconds), was: ${JSON.stringify(value.trim())}`,
      );
    },
  );

  it('every allowed interval divides an hour evenly, as its schedule fires', () => {
    for (const seconds of TICK_INTERVALS_SECONDS) {
      expect(3600 % seconds, String(seconds)).toBe(0);
      const [sec, min] = tickSchedule(seconds).split(' ');
      const perHour = (sec === '0,30' ? 2 : 1) * (min === '*' ? 60 : min === '0' ? 1 : 60 / Number(min!.slice(2)));
      expect(perHour, String(seconds)).toBe(3600 / seconds);
    }
  });

  it("the template's tickIntervalSeconds allows the same list, defaults to 60 and sets the app setting", () => {
    const template = JSON.parse(readFileSync(join(import.meta.dirname, '../../../infra/azure/main.json'), 'utf8'));
    const declaration = template.parameters.tickIntervalSeconds;
    expect(declaration, 'parameter tickIntervalSeconds').toMatchObject({ type: 'int', defaultValue: 60 });
    expect(declaration.allowedValues).toEqual([...TICK_INTERVALS_SECONDS]);
    const site = template.resources.find((r: { type: string }) => r.type === 'Microsoft.Web/sites');
    expect(site.properties.siteConfig.appSettings).toContainEqual({
      name: 'TIDE_TICK_INTERVAL_SECONDS',
      value: "[string(parameters('tickIntervalSeconds'))]",
    });
  });
});
