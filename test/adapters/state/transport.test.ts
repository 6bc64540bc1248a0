import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateUnavailableError } from '../../../adapters/state/errors.ts';
import { ioredisTransport } from '../../../adapters/state/ioredis-transport.ts';
import { RedisStateStore } from '../../../adapters/state/redis-store.ts';
import { upstashTransport } from '../../../adapters/state/upstash-transport.ts';
import { freshNamespace, startStoreSetup, type StoreSetup } from './store-setup.ts';

let setup: StoreSetup;
beforeAll(async () => {
  setup = await startStoreSetup();
});
afterAll(async () => {
  await setup?.close();
});

describe('the Upstash bridge, with the real @upstash/redis client', () => {
  const client = (token = setup.bridge.token, enableAutoPipelining = true) =>
    new Redis({ url: setup.bridge.url, token, retry: false, enableTelemetry: false, enableAutoPipelining });

  it('serves single commands, pipelines and transactions, with base64 replies decoded by the client', async () => {
    const redis = client();
    const before = { ...setup.bridge.byPath };
    expect(await redis.set('bridge:k', 'välue')).toBe('OK'); // "OK" is the one string not base64-encoded
    expect(await redis.get('bridge:k')).toBe('välue');
    expect(await redis.pipeline().incr('bridge:n').incr('bridge:n').get('bridge:k').exec()).toEqual([1, 2, 'välue']);
    expect(await redis.multi().set('bridge:m', '5').incrby('bridge:m', 2).exec()).toEqual(['OK', 7]);
    expect(await redis.eval("return {1, 'two', false, {'three', 4}}", [], [])).toEqual([1, 'two', null, ['three', 4]]);
    expect(await redis.hgetall('bridge:none')).toBeNull();
    const after = setup.bridge.byPath;
    expect((after['/pipeline'] ?? 0) - (before['/pipeline'] ?? 0)).toBeGreaterThan(0); // auto-pipelined calls
    expect((after['/multi-exec'] ?? 0) - (before['/multi-exec'] ?? 0)).toBe(1);
  });

  it('answers NOSCRIPT for an unknown script, which the client reports as an error', async () => {
    await expect(client().evalsha('0'.repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it('refuses a wrong token with 401', async () => {
    await expect(client('wrong', false).get('bridge:k')).rejects.toThrow(/Unauthorized/);
  });
});

describe.each(['redis', 'upstash'] as const)('%s store when Redis does not answer', (kind) => {
  const TIMEOUT = 100;
  const RETRIES = 2;

  it('a frozen Redis gives StateUnavailableError within the attempts times the timeout', async () => {
    const store = setup.create(kind, {
      namespace: freshNamespace(`frozen-${kind}`),
      timeoutMs: TIMEOUT,
      retries: RETRIES,
    });
    await store.load('llm-endpoint', 'warm-up');
    setup.server.pause();
    const started = Date.now();
    const error = await store.load('llm-endpoint', 'e1').catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    setup.server.resume();
    expect(error).toBeInstanceOf(StateUnavailableError);
    expect(error).toMatchObject({ attempts: RETRIES + 1, retryable: true });
    expect(elapsed).toBeGreaterThanOrEqual((RETRIES + 1) * TIMEOUT - 5);
    // Bounded, not hanging until Redis answers again: the attempts' timeouts plus backoff (at most 25 + 50 ms),
    // with room for a loaded machine's timers (785 ms was seen with CI, check:load and a build running at once).
    expect(elapsed).toBeLessThan((RETRIES + 1) * TIMEOUT + 75 + 2_500);
  });

  it('an unreachable address gives StateUnavailableError', async () => {
    const transport =
      kind === 'redis'
        ? ioredisTransport({ url: 'redis://127.0.0.1:1', timeoutMs: TIMEOUT })
        : upstashTransport({ url: 'http://127.0.0.1:1', token: 'x', timeoutMs: TIMEOUT });
    const store = new RedisStateStore(transport, { namespace: 'unreachable', timeoutMs: TIMEOUT, retries: 1 });
    await expect(store.load('llm-endpoint', 'e1')).rejects.toBeInstanceOf(StateUnavailableError);
    await store.close();
  });
});
