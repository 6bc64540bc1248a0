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

  it('reports the slowest input, not the slowest moment: a one-off pause is told from an input that is slow every time', {
    timeout: 60_000,
  }, () => {
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    let paused = false;
    const pauseOnce: typeof parseEvent = (payload, source, options) => {
      if (!paused) {
        paused = true;
        busy(300); // a garbage collection or a busy machine landing on one case
      }
      return parseEvent(payload, source, options);
    };
    const once = runFuzz({ cases: 300, seed: 7, fixturesDir: FIXTURES, parse: pauseOnce });
    expect(once.slowestFirstMs).toBeGreaterThanOrEqual(300);
    expect(once.slowestMs).toBeLessThan(300);

    const slowSource: typeof parseEvent = (payload, source, options) => {
      if (source === 'gcp-pubsub') busy(60); // an input that costs this every time
      return parseEvent(payload, source, options);
    };
    const always = runFuzz({ cases: 300, seed: 7, fixturesDir: FIXTURES, parse: slowSource });
    expect(always.slowestMs).toBeGreaterThanOrEqual(60);
    expect(always.slowestCase).toContain('gcp-pubsub');
  });
});
