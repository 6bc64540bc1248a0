import { describe, expect, it } from 'vitest';
import { diurnalRate, stepRate, swellRate, syntheticTrace, traceFromRate } from '../../simulator/synthetic.ts';

describe('the synthetic load shapes (stand-ins for issue 17 hidden workloads)', () => {
  it.each([
    ['step', stepRate],
    ['swell', swellRate],
  ] as const)('%s: the same seed draws the same curve, another seed another', (_, curve) => {
    const a = curve(1);
    const b = curve(1);
    const c = curve(2);
    const at = [0, 3600, 7200, 14_400, 20_000];
    expect(at.map(a)).toEqual(at.map(b));
    expect(at.map(a)).not.toEqual(at.map(c));
  });

  it('step load jumps: some second-to-second change is at least 40 % of the level', () => {
    const rate = stepRate(3);
    let jumps = 0;
    for (let second = 1; second < 6 * 3600; second++)
      if (Math.abs(rate(second) - rate(second - 1)) >= 0.4 * rate(second - 1)) jumps++;
    expect(jumps).toBeGreaterThan(2);
  });

  it('swell load never jumps: no second-to-second change above 1 % of the level, yet it reaches twice its base', () => {
    const rate = swellRate(3);
    let highest = 0;
    for (let second = 1; second < 6 * 3600; second++) {
      expect(Math.abs(rate(second) - rate(second - 1))).toBeLessThanOrEqual(0.01 * rate(second - 1));
      highest = Math.max(highest, rate(second));
    }
    expect(highest).toBeGreaterThanOrEqual(2 * rate(0));
  });

  it('the diurnal week peaks each weekday afternoon and is quieter at the weekend', () => {
    const rate = diurnalRate(1);
    const dayMean = (day: number) => {
      let sum = 0;
      for (let s = 0; s < 86_400; s += 60) sum += rate(day * 86_400 + s);
      return sum / 1440;
    };
    expect(dayMean(5)).toBeLessThan(dayMean(2));
    expect(rate(2 * 86_400 + 15 * 3600)).toBeGreaterThan(2 * rate(2 * 86_400 + 3 * 3600));
  });

  it('draws arrivals in order, deterministic per seed, with the trading day token shapes', () => {
    const a = traceFromRate('t', 7, 600, () => 3);
    const b = traceFromRate('t', 7, 600, () => 3);
    expect(a.requests).toEqual(b.requests);
    expect(a.requests.length).toBeGreaterThan(1500);
    for (let i = 1; i < a.requests.length; i++)
      expect(a.requests[i]!.arrivalAt).toBeGreaterThanOrEqual(a.requests[i - 1]!.arrivalAt);
    expect(syntheticTrace('step', 1).name).toBe('step');
  });
});
