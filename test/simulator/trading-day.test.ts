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
