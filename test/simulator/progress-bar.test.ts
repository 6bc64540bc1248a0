import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../simulator/progress-bar.ts';

describe('ProgressBar', () => {
  it.each([
    { fraction: 0, bar: '[----------]   0 %' },
    { fraction: 0.45, bar: '[#####-----]  45 %' },
    { fraction: 1.7, bar: '[##########] 100 %' },
  ])('draws $fraction in place', ({ fraction, bar }) => {
    const written: string[] = [];
    new ProgressBar((text) => written.push(text), true, 10).update(fraction, 'hpa (3/6)');
    expect(written[0]!.startsWith(`\r${bar}  hpa (3/6)`)).toBe(true);
  });

  it('writes nothing off a terminal, and does not redraw an unchanged line', () => {
    const off: string[] = [];
    const quiet = new ProgressBar((text) => off.push(text), false);
    quiet.update(0.5, 'x');
    quiet.done();
    expect(off).toEqual([]);
    const on: string[] = [];
    const bar = new ProgressBar((text) => on.push(text), true, 10);
    bar.update(0.5, 'x');
    bar.update(0.5, 'x');
    bar.done();
    expect(on).toHaveLength(2);
    expect(on[1]!.trim()).toBe('');
  });
});
