/**
 * `aggregateTwo` (target tracking's window and burst mode's short one in one pass over the samples) gives
 * exactly what two calls of `aggregate` give, on any samples: in order or not, in the future, stale, empty.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate, aggregateTwo, type Sample } from '../../core/strategies/metric-samples.ts';

const NOW = 1_000_000;

describe('aggregateTwo', () => {
  it('equals aggregate over each window', () => {
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
          expect(long).toEqual(aggregate(samples, NOW, windowSeconds, aggregation, staleMs));
          expect(short).toEqual(aggregate(samples, NOW, shortSeconds, 'average', staleMs));
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
    expect(aggregate(samples, NOW, 900, 'average', 600_000)?.value).toBe(50);
  });
});
