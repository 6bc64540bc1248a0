import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentile, selectPercentile } from '../../simulator/results.ts';

describe('percentiles by selection (summarize of a week)', () => {
  it('gives what a sort gives, for any values, any range and any percentile', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ noNaN: true, min: 0, max: 1e7 }), fc.constantFrom(0, 1, 3000)), {
          minLength: 1,
          maxLength: 300,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(),
        fc.nat(),
        (values, p, a, b) => {
          const from = a % values.length;
          const to = from + 1 + (b % (values.length - from));
          const sorted = Float64Array.from(values.slice(from, to)).sort();
          const scratch = Float64Array.from(values);
          expect(selectPercentile(scratch, p, from, to)).toBe(percentile(sorted, p));
          // Only the range is reordered.
          expect([...scratch.slice(0, from), ...scratch.slice(to)]).toEqual([
            ...values.slice(0, from),
            ...values.slice(to),
          ]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
