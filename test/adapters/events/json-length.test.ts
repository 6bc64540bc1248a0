import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonLengthOver } from '../../../adapters/events/parse.ts';

const utf8Length = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

describe("a payload's JSON length, bounded without serializing it", () => {
  it('proves a value within the limit only when its JSON is, and counts past it only when it is over', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4_000 }), (value, limit) => {
        const { over, proven } = jsonLengthOver(value, limit);
        const bytes = utf8Length(value);
        if (proven) expect(bytes).toBeLessThanOrEqual(limit);
        if (over !== null) expect(bytes).toBeGreaterThan(limit);
      }),
      { numRuns: 2_000 },
    );
  });

  it.each([
    [
      'a shared object',
      () => {
        const shared = { a: 1 };
        return { x: shared, y: shared };
      },
    ],
    ['a toJSON', () => ({ at: new Date(0) })],
    ['a bigint', () => ({ n: 1n })],
  ])('leaves %s to JSON.stringify', (_label, make) => {
    expect(jsonLengthOver(make(), 1_000_000)).toEqual({ over: null, proven: false });
  });

  it('proves an SQS batch of alarm events within the 6 MB limit', () => {
    const body = JSON.stringify({ detail: { alarmName: 'tide-llama-high', reason: 'x'.repeat(1_500) } });
    const batch = { Records: Array.from({ length: 10 }, (_, i) => ({ messageId: `m${i}`, body })) };
    expect(jsonLengthOver(batch, 6 * 1024 * 1024)).toEqual({ over: null, proven: true });
  });
});
