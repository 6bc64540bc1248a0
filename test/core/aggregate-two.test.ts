/**
 * `aggregateTwo` (target tracking's window and burst mode's short one in one pass over the samples) gives
 * exactly what two one-window aggregations give, on any samples: in order or not, in the future, stale, empty.
 * The one-window reference below is the loop `aggregate` had before it became aggregateTwo's first result.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aggregate,
  aggregateTwo,
  type AggregatedValue,
  type Sample,
  type SampleEntry,
} from '../../core/strategies/metric-samples.ts';

const NOW = 1_000_000;

/** One window, one pass, written plainly: the reference. */
function oneWindow(
  samples: readonly SampleEntry[],
  now: number,
  windowSeconds: number,
  aggregation: 'average' | 'max' | 'latest',
  staleAfterMs: number,
): AggregatedValue | undefined {
  if (samples.length === 0) return undefined;
  const windowStart = now - windowSeconds * 1000;
  let sum = 0;
  let max = -Infinity;
  let count = 0;
  let latest: SampleEntry | undefined;
  for (const entry of samples) {
    if (entry[0] > now) continue;
    latest = entry;
    if (entry[0] > windowStart || (windowSeconds === 0 && entry[0] === now)) {
      const single = entry.length === 2;
      sum += single ? entry[1] : entry[3];
      max = Math.max(max, single ? entry[1] : entry[4]);
      count += single ? 1 : entry[2];
    }
  }
  if (!latest || now - latest[0] > staleAfterMs) return undefined;
  if (count === 0 || aggregation === 'latest' || windowSeconds === 0) {
    return { value: latest[1], count: 1, latestAt: latest[0] };
  }
  return { value: aggregation === 'max' ? max : sum / count, count, latestAt: latest[0] };
}

describe('aggregateTwo', () => {
  it('equals a one-window aggregation over each window, and aggregate its first', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: NOW - 1_200_000, max: NOW + 120_000 }),
            fc.double({ min: -1e6, max: 1e6, noNaN: true }),
          ),
        ),
        fc.integer({ min: 0, max: 1200 }),
        fc.constantFrom('average' as const, 'max' as const, 'latest' as const),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 900_000 }),
        (raw, windowSeconds, aggregation, shortSeconds, staleMs) => {
          const samples = raw as Sample[];
          const [long, short] = aggregateTwo(samples, NOW, windowSeconds, aggregation, shortSeconds, staleMs);
          expect(long).toEqual(oneWindow(samples, NOW, windowSeconds, aggregation, staleMs));
          expect(short).toEqual(oneWindow(samples, NOW, shortSeconds, 'average', staleMs));
          expect(aggregate(samples, NOW, windowSeconds, aggregation, staleMs)).toEqual(long);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('the property can fail: a short window read as the long one differs', () => {
    const samples: Sample[] = [
      [NOW - 500_000, 10],
      [NOW - 1_000, 90],
    ];
    const [, short] = aggregateTwo(samples, NOW, 900, 'average', 6, 600_000);
    expect(short?.value).toBe(90);
    expect(oneWindow(samples, NOW, 900, 'average', 600_000)?.value).toBe(50);
  });
});
