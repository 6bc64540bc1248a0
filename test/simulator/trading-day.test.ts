import { describe, expect, it } from 'vitest';
import { tradingDay, tradingRate, TRADING_DAY_DEFAULTS } from '../../simulator/trading-day.ts';

describe('synthetic trading day', () => {
  it('starts at 08:00 New York time, in winter and in summer', () => {
    expect(new Date(tradingDay({ seed: 1 }).startAt).toISOString()).toBe('2026-12-01T13:00:00.000Z');
    expect(new Date(tradingDay({ seed: 1, date: '2026-06-02', newsSpikes: 0 }).startAt).toISOString()).toBe(
      '2026-06-02T12:00:00.000Z',
    );
  });

  it.each([
    { label: 'quiet before the open', minute: 30, low: 0.2, high: 0.4 },
    { label: 'open surge at 09:30', minute: 90, low: 6.9, high: 7.1 },
    { label: 'lunch dip at 12:30', minute: 270, low: 1.5, high: 2 },
    { label: 'close at 16:00', minute: 480, low: 5.9, high: 6.1 },
    { label: 'after hours at 17:00', minute: 539, low: 0.3, high: 0.5 },
  ])('$label', ({ minute, low, high }) => {
    const rate = tradingRate(minute, TRADING_DAY_DEFAULTS);
    expect(rate).toBeGreaterThanOrEqual(low);
    expect(rate).toBeLessThanOrEqual(high);
  });

  it('is the same for a seed and differs between seeds', () => {
    const a = tradingDay({ seed: 4 });
    expect(tradingDay({ seed: 4 }).requests).toEqual(a.requests);
    expect(tradingDay({ seed: 5 }).requests.length).not.toBe(a.requests.length);
  });
});

describe('the trading day follows the XNYS calendar', () => {
  const perMinute = (trace: ReturnType<typeof tradingDay>, fromMinute: number, toMinute: number) =>
    trace.requests.filter(
      (r) => r.arrivalAt >= trace.startAt + fromMinute * 60_000 && r.arrivalAt < trace.startAt + toMinute * 60_000,
    ).length /
    (toMinute - fromMinute);

  it('closes at 13:00 on the day after Thanksgiving: the close surge comes then, the afternoon is quiet', () => {
    const early = tradingDay({ seed: 1, date: '2026-11-27' });
    const regular = tradingDay({ seed: 1, date: '2026-12-01' });
    // 14:00-15:30 New York is minutes 360-450 after 08:00.
    expect(perMinute(early, 360, 450)).toBeLessThan(perMinute(regular, 360, 450) / 5);
    // The last 15 minutes before 13:00 (minutes 285-300) carry the closing ramp.
    expect(perMinute(early, 285, 300)).toBeGreaterThan(perMinute(early, 240, 255));
  });

  it('is quiet all day on Thanksgiving (no session)', () => {
    const holiday = tradingDay({ seed: 1, date: '2026-11-26' });
    expect(perMinute(holiday, 90, 120)).toBeLessThan(TRADING_DAY_DEFAULTS.baseRate * 60 * 2);
  });
});
