/** The JSON-lines logger (adapters/logger/json-logger.ts: pino): the line's shape, and what it does with odd fields. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../../adapters/logger/json-logger.ts';

const capture = (secrets: string[] = []) => {
  const lines: string[] = [];
  return { lines, logger: createJsonLogger({ write: (line) => lines.push(line), secrets }) };
};

describe('json logger', () => {
  it('writes one line per call: level, ISO time, the fields, then the message', () => {
    const { lines, logger } = capture();
    logger.warn('ingest: delivery failed', { targetId: 't1', retryable: true });
    expect(lines).toHaveLength(1);
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual(['level', 'time', 'targetId', 'retryable', 'message']);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', message: 'ingest: delivery failed', targetId: 't1' });
    expect(new Date(JSON.parse(lines[0]!).time).toISOString()).toBe(JSON.parse(lines[0]!).time);
    logger.info('no fields');
    logger.error('e', {});
    expect(lines.slice(1).map((line) => JSON.parse(line).level)).toEqual(['info', 'error']);
  });

  it('writes a bigint as a string, and a field JSON cannot write does not lose the line', () => {
    const { lines, logger } = capture();
    logger.info('big', { bytes: 2n ** 70n });
    expect(JSON.parse(lines[0]!).bytes).toBe('1180591620717411303424');
    logger.error('odd', {
      value: {
        toJSON() {
          throw new Error('no JSON for you');
        },
      },
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'error', message: 'odd', logError: 'no JSON for you' });
  });

  it('replaces a known secret anywhere in the line, the message included', () => {
    const { lines, logger } = capture(['p@ss"word']);
    logger.error('cannot connect to redis://:p@ss"word@cache', { detail: 'auth p@ss"word failed' });
    expect(lines[0]).not.toContain('p@ss');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      message: 'cannot connect to redis://:[redacted]@cache',
      detail: 'auth [redacted] failed',
    });
  });

  it("is pino, and an error under any key (pino's `err` too) keeps its name and message, never its stack", () => {
    const { lines, logger } = capture();
    const error = new TypeError('no route to host');
    logger.error('failed', { err: error, nested: { error } });
    const line = JSON.parse(lines[0]!);
    expect(line.err).toEqual({ name: 'TypeError', message: 'no route to host' });
    expect(line.nested.error).toEqual({ name: 'TypeError', message: 'no route to host' });
    expect(lines[0]).not.toContain('at ');
    expect(readFileSync(new URL('../../../adapters/logger/json-logger.ts', import.meta.url), 'utf8')).toMatch(
      /from 'pino'/,
    );
  });
});
