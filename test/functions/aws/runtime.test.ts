import { describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../../adapters/logger/json-logger.ts';
import { createRuntime, RuntimeConfigError } from '../../../functions/shell/runtime.ts';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';

const TOKEN = 'AYQgASQgNzQ4ZTEtZmFrZS10b2tlbi1mb3ItdGVzdHM=';

describe('the runtime, built from the environment', () => {
  it.each([
    { label: 'unset', env: {}, message: /TIDE_MODE is required; expected one of shadow, dry-run, act, was: unset/ },
    { label: 'empty', env: { TIDE_MODE: '' }, message: /TIDE_MODE is required/ },
    {
      label: 'a mode that does not exist yet',
      env: { TIDE_MODE: 'active' },
      message: /TIDE_MODE must be one of shadow, dry-run, act, was: "active"/,
    },
    { label: 'the wrong case', env: { TIDE_MODE: 'Shadow' }, message: /was: "Shadow"/ },
  ])('refuses to start with TIDE_MODE $label, naming the value', ({ env, message }) => {
    const start = () => createRuntime(env, { eventSources: EVENT_SOURCES, write: () => {} });
    expect(start).toThrow(RuntimeConfigError);
    expect(start).toThrow(message);
  });

  it('names a bad state variable too', () => {
    expect(() =>
      createRuntime(
        { TIDE_MODE: 'shadow', TIDE_STATE_TIMEOUT_MS: '-5' },
        { eventSources: EVENT_SOURCES, write: () => {} },
      ),
    ).toThrow(/TIDE_STATE_TIMEOUT_MS/);
  });

  it('starts in shadow mode on the memory store when no Redis is configured, and says so', () => {
    const lines: string[] = [];
    const runtime = createRuntime(
      { TIDE_MODE: 'shadow' },
      { eventSources: EVENT_SOURCES, write: (line) => lines.push(line) },
    );
    expect(runtime.mode).toBe('shadow');
    expect(runtime.store.kind).toBe('memory');
    const logged = lines.map((line) => JSON.parse(line));
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/^state: in memory/) }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'info', message: 'tide runtime ready', mode: 'shadow', store: 'memory' }),
    );
  });

  it('never prints the Upstash token, not at start and not inside an error message', () => {
    const lines: string[] = [];
    const runtime = createRuntime(
      { TIDE_MODE: 'shadow', UPSTASH_REDIS_REST_URL: 'https://eu1-tide.upstash.io', UPSTASH_REDIS_REST_TOKEN: TOKEN },
      { eventSources: EVENT_SOURCES, write: (line) => lines.push(line) },
    );
    expect(runtime.store.kind).toBe('upstash');
    runtime.logger.error('state call failed', {
      error: new Error(`401 for Authorization: Bearer ${TOKEN}`),
      token: TOKEN,
      nested: { headers: { authorization: `Bearer ${TOKEN}` } },
    });
    runtime.logger.warn(`message quoting ${TOKEN}`);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).not.toContain(TOKEN);
    expect(lines.join('\n')).toContain('eu1-tide.upstash.io');
    expect(lines.at(-2)).toContain('[redacted]');
  });
});

describe('the JSON logger', () => {
  it('writes one JSON object per line with level, time, message and fields', () => {
    const lines: string[] = [];
    createJsonLogger({ write: (line) => lines.push(line) }).info('hello', { targetId: 't1', count: 2 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 'info',
      time: expect.any(String),
      message: 'hello',
      targetId: 't1',
      count: 2,
    });
  });

  it('redacts a Redis URL password and fields named like secrets', () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ write: (line) => lines.push(line), secrets: ['s3cr3t-pa"ss'] });
    logger.warn('connect failed to redis://:s3cr3t-pa"ss@cache:6379', {
      password: 'hunter22',
      url: 'redis://:s3cr3t-pa"ss@cache:6379',
    });
    expect(lines[0]).not.toContain('s3cr3t');
    expect(lines[0]).not.toContain('hunter22');
    expect(JSON.parse(lines[0]!)).toMatchObject({ password: '[redacted]', url: 'redis://:[redacted]@cache:6379' });
  });

  it('redacts secret-named fields at any depth and in lists; an error keeps its name and message, no stack', () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ write: (line) => lines.push(line), secrets: ['tk-live-0042'] });
    const error = new TypeError('fetch failed for https://api.example/?key=tk-live-0042');
    logger.error('call failed', {
      request: { headers: { Authorization: 'Bearer abc', accept: 'json' }, pools: [{ clientSecret: 'xyz', id: 'p' }] },
      error,
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(lines[0]).not.toContain('tk-live-0042');
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 'error',
      time: expect.any(String),
      message: 'call failed',
      request: {
        headers: { Authorization: '[redacted]', accept: 'json' },
        pools: [{ clientSecret: '[redacted]', id: 'p' }],
      },
      error: { name: 'TypeError', message: 'fetch failed for https://api.example/?key=[redacted]' },
    });
  });

  it('a cycle in the fields is cut, not a crash', () => {
    const lines: string[] = [];
    const loop: Record<string, unknown> = { id: 'a' };
    loop.self = loop;
    createJsonLogger({ write: (line) => lines.push(line) }).info('loop', { loop });
    expect(JSON.parse(lines[0]!).loop).toEqual({ id: 'a', self: '[cut]' });
  });
});
