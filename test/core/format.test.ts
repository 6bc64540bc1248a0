import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixed2, isoTime, num } from '../../core/format.ts';

/** What num() and isoTime() were before they spelled their text out from integers (core/format.ts). */
const numByString = (value: number) => String(Math.round(value * 100) / 100);
const isoByDate = (ms: number) => {
  const at = new Date(ms);
  return Number.isNaN(at.getTime()) ? `${ms} ms` : at.toISOString();
};

describe('num', () => {
  it.each([
    { value: 0.30000000000000004, text: '0.3' },
    { value: 87.123456, text: '87.12' },
    { value: -12.5, text: '-12.5' },
    { value: 0.05, text: '0.05' },
    { value: -0.001, text: '0' },
    { value: 1e12 + 0.25, text: '1000000000000.25' },
    { value: 1e22, text: '1e+22' },
    { value: Number.NaN, text: 'NaN' },
  ])('$value -> $text', ({ value, text }) => expect(num(value)).toBe(text));

  it('gives what String(Math.round(value × 100) / 100) gives, at every magnitude', () => {
    const magnitudes = fc
      .tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: -8, max: 24 }))
      .map(([mantissa, exponent]) => mantissa * 10 ** exponent);
    const hundredths = fc.integer({ min: -1e15, max: 1e15 }).map((n) => n / 100);
    fc.assert(
      fc.property(fc.oneof(magnitudes, hundredths, fc.double()), (value) => num(value) === numByString(value)),
      { numRuns: 20_000 },
    );
  });
});

describe('isoTime', () => {
  it.each([
    { ms: 0, text: '1970-01-01T00:00:00.000Z' },
    { ms: Date.UTC(2000, 1, 29, 23, 59, 59, 7), text: '2000-02-29T23:59:59.007Z' },
    { ms: Date.UTC(2100, 2, 1), text: '2100-03-01T00:00:00.000Z' },
    { ms: 253_402_300_799_999, text: '9999-12-31T23:59:59.999Z' },
    { ms: 253_402_300_800_000, text: '+010000-01-01T00:00:00.000Z' },
    { ms: -1, text: '1969-12-31T23:59:59.999Z' },
    { ms: 1.5, text: '1970-01-01T00:00:00.001Z' },
    { ms: 9e15, text: '9000000000000000 ms' },
  ])('$ms -> $text', ({ ms, text }) => expect(isoTime(ms)).toBe(text));

  it('gives what new Date(ms).toISOString() gives', () => {
    const years = fc
      .integer({ min: 1970, max: 9999 })
      .chain((year) => fc.integer({ min: Date.UTC(year, 0, 1) - 1, max: Date.UTC(year, 11, 31, 23, 59, 59, 999) }));
    fc.assert(
      fc.property(fc.oneof(years, fc.integer({ min: -1e13, max: 3e14 })), (ms) => isoTime(ms) === isoByDate(ms)),
      { numRuns: 20_000 },
    );
  });
});

describe('fixed2', () => {
  it.each([
    { value: 6.06, text: '6.06' },
    { value: 1.005, text: '1.00' },
    { value: 0.125, text: '0.13' },
    { value: 2.675, text: '2.67' },
    { value: -0.001, text: '-0.00' },
    { value: 1e21, text: '1e+21' },
    { value: Number.NaN, text: 'NaN' },
  ])('$value -> $text', ({ value, text }) => expect(fixed2(value)).toBe(text));

  it('gives what value.toFixed(2) gives', () => {
    const magnitudes = fc
      .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: -6, max: 12 }))
      .map(([mantissa, exponent]) => mantissa * 10 ** exponent);
    // Halves and near-halves of a cent, where toFixed's exact expansion decides.
    const halves = fc.integer({ min: 0, max: 1e9 }).map((n) => (n + 0.5) / 100);
    const thousandths = fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 1000);
    fc.assert(
      fc.property(
        fc.oneof(magnitudes, halves, thousandths, fc.double()),
        (value) => fixed2(value) === value.toFixed(2),
      ),
      { numRuns: 20_000 },
    );
  });
});
