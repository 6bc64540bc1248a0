/**
 * A small run of `npm run fuzz`: mutated provider payloads through every parser and the signals through
 * decide, nothing escapes and every failure is typed. The fuzzer itself is shown to catch the kind of bug it
 * is for: with the Cloud Scheduler parser as it was (a non-string `subscription` failed inside the tick
 * builder), the same run counts untyped errors.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EventParseError, parseEvent } from '../../adapters/events/index.ts';
import { runFuzz } from '../../tools/fuzz/fuzz-events.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/events/', import.meta.url));

describe('npm run fuzz, small', () => {
  it('3,000 mutated payloads: no escaped exception, no untyped error', { timeout: 60_000 }, () => {
    const report = runFuzz({ cases: 3000, seed: 7, fixturesDir: FIXTURES });
    expect(report.examples).toEqual([]);
    expect(report).toMatchObject({ cases: 3000, escapedExceptions: 0, untypedErrors: 0 });
    // The run reached decide, not only the parsers' refusals.
    expect(report.decisions).toBeGreaterThan(500);
  });

  it('counts the scheduler bug it found, and a throw that escapes', { timeout: 60_000 }, () => {
    const asItWas: typeof parseEvent = (payload, source, options) => {
      const subscription = (payload as { subscription?: unknown } | null)?.subscription;
      if (source === 'gcp-scheduler' && subscription !== undefined && typeof subscription !== 'string') {
        const error = new EventParseError(
          'gcp-scheduler',
          '(root)',
          'parser-failure',
          'nameOrArn.lastIndexOf is not a function',
        );
        return { ok: false, error };
      }
      if (source === 'gcp-pubsub' && typeof payload === 'object' && payload !== null && 'constructor' in payload)
        throw new TypeError('escaped');
      return parseEvent(payload, source, options);
    };
    const report = runFuzz({ cases: 3000, seed: 7, fixturesDir: `${FIXTURES}gcp`, parse: asItWas });
    expect(report.untypedErrors).toBeGreaterThan(0);
    expect(report.escapedExceptions).toBeGreaterThan(0);
  });
});
