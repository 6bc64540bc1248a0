import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateStore } from '../../../adapters/ports/state-store.ts';
import { ioredisTransport } from '../../../adapters/state/ioredis-transport.ts';
import { trackKeyPrefixes, type KeyInvalidations } from '../../../adapters/state/key-tracking.ts';
import { stateKeys } from '../../../adapters/state/keys.ts';
import { RedisStateStore } from '../../../adapters/state/redis-store.ts';
import { cachedDocuments } from '../../../functions/http/document-cache.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { testPolicy, testTarget } from '../../adapters/state/fixtures.ts';
import { demoPolicy, demoTarget, startApi } from './support.ts';

let redis: RedisServer;
let inspect: Redis;
const opened: { close(): Promise<void> }[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
  inspect = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await Promise.all(opened.map((o) => o.close()));
  inspect?.disconnect();
  await redis?.close();
});

/** Wait (bounded) until `condition` holds. */
async function until(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function setup(namespace: string) {
  const store = new RedisStateStore(ioredisTransport({ url: redis.url, timeoutMs: 2000 }), { namespace });
  const other = new RedisStateStore(ioredisTransport({ url: redis.url, timeoutMs: 2000 }), { namespace });
  const keys = stateKeys(namespace);
  const tracking: KeyInvalidations = trackKeyPrefixes({
    url: redis.url,
    prefixes: [keys.target(''), keys.policy('')],
    timeoutMs: 2000,
  });
  opened.push(store, other, tracking);
  let loads = 0;
  const counted: Pick<StateStore, 'getTarget' | 'getPolicy'> = {
    getTarget: (id) => {
      loads += 1;
      return store.getTarget(id);
    },
    getPolicy: (id) => {
      loads += 1;
      return store.getPolicy(id);
    },
  };
  const documents = cachedDocuments(counted, tracking, keys);
  let barriers = 0;
  /**
   * Wait until every announcement of the writes made so far has reached this process. Announcements come on the
   * tracking connection, not the writer's, so one of a write made just before `ready` may still be on its way
   * (under load, it arrived after the first read and counted a second load). Redis sends them in order: once a
   * fresh write's announcement is seen, every earlier one has been handled (listeners run in order).
   */
  const settled = async () => {
    const id = `barrier-${++barriers}`;
    const key = keys.target(id);
    let seen = false;
    tracking.onInvalidate((invalidated) => {
      if (invalidated === null || invalidated.includes(key)) seen = true;
    });
    await other.putTarget(testTarget(id));
    await until(() => seen);
  };
  return { store, other, tracking, documents, loads: () => loads, settled };
}

describe('documents cached with invalidation pushed by Redis', () => {
  it('answers from memory until another process changes the document, then reads it again', async () => {
    const { store, other, tracking, documents, loads, settled } = setup('doc-cache-1');
    await store.putTarget(testTarget('llm'));
    const v1 = await store.putPolicy('llm', testPolicy({ maxCapacity: 5 }));
    await until(() => tracking.ready);
    await settled();
    expect((await documents.getPolicy('llm'))?.version).toBe(v1);
    for (let i = 0; i < 20; i++) expect((await documents.getPolicy('llm'))?.version).toBe(v1);
    expect(loads()).toBe(1);
    // Another instance (or the CLI) writes: Redis announces it, the next read goes to the store.
    const v2 = await other.putPolicy('llm', testPolicy({ maxCapacity: 6 }));
    await until(async () => (await documents.getPolicy('llm'))?.version === v2);
    expect((await documents.getPolicy('llm'))?.value.maxCapacity).toBe(6);
    // A delete is announced too; an absent document is cached as absent until it is created.
    await other.deletePolicy('llm');
    await until(async () => (await documents.getPolicy('llm')) === null);
    const v3 = await other.putPolicy('llm', testPolicy({ maxCapacity: 7 }));
    await until(async () => (await documents.getPolicy('llm'))?.version === v3);
    // This process's own writes forget the entry before answering.
    const before = loads();
    documents.forget('llm');
    await documents.getPolicy('llm');
    expect(loads()).toBe(before + 1);
  });

  it('reads through while the announcements are not flowing, and caches again once they are', async () => {
    const { store, tracking, documents, loads, settled } = setup('doc-cache-2');
    await store.putTarget(testTarget('llm'));
    await until(() => tracking.ready);
    await settled();
    await documents.getTarget('llm');
    await documents.getTarget('llm');
    expect(loads()).toBe(1);
    // The tracking connection is cut (a Redis restart, a network blip): nothing is answered from memory.
    await inspect.client('KILL', 'TYPE', 'pubsub');
    await until(() => !tracking.ready);
    const during = loads();
    await documents.getTarget('llm');
    expect(loads()).toBeGreaterThan(during);
    await until(() => tracking.ready);
    await settled();
    const after = loads();
    await documents.getTarget('llm');
    await documents.getTarget('llm');
    expect(loads()).toBe(after + 1);
  });
});

describe('tide serve on Redis', () => {
  it('a GET after a PUT through the API sees the PUT', async () => {
    const api = await startApi({ env: { REDIS_URL: redis.url, TIDE_DEPLOYMENT: 'doc-cache-api' } });
    opened.push(api.runtime);
    await api.request('PUT', '/v1/targets/llm', { key: api.keys.write, body: demoTarget('llm') });
    for (let max = 2; max <= 6; max++) {
      const put = await api.request('PUT', '/v1/targets/llm/policy', {
        key: api.keys.write,
        body: demoPolicy({ maxCapacity: max }),
      });
      expect(put.status).toBe(200);
      const got = await api.request('GET', '/v1/targets/llm/policy', { key: api.keys.read });
      expect(((await got.json()) as { maxCapacity: number }).maxCapacity).toBe(max);
      expect(got.headers.get('etag')).toBe(put.headers.get('etag'));
    }
  });
});
