import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessStore, ApiKeyRecord } from '../../../adapters/ports/access-store.ts';
import { KeyLimitError } from '../../../adapters/state/access-errors.ts';
import { MemoryAccessStore } from '../../../adapters/state/access-memory.ts';
import type { AccessStoreOptions } from '../../../adapters/state/access-options.ts';
import { RedisAccessStore } from '../../../adapters/state/access-redis.ts';
import { StateUnavailableError, TargetNotFoundError, VersionConflictError } from '../../../adapters/state/errors.ts';
import type { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import { testPolicy, testTarget } from './fixtures.ts';
import { ioredisTransport } from '../../../adapters/state/ioredis-transport.ts';
import { upstashTransport } from '../../../adapters/state/upstash-transport.ts';
import { freshNamespace, startStoreSetup, type StoreKind, type StoreSetup } from './store-setup.ts';

let setup: StoreSetup;
const opened: AccessStore[] = [];
beforeAll(async () => {
  setup = await startStoreSetup();
});
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await setup?.close();
});

const key = (id: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id,
  name: `key ${id}`,
  scopes: ['read'],
  hash: 'a'.repeat(64),
  createdAt: 1_000,
  ...overrides,
});

describe.each<StoreKind>(['memory', 'redis', 'upstash'])('%s access store', (kind) => {
  const open = (options: Partial<AccessStoreOptions> = {}): AccessStore => {
    const merged = { namespace: freshNamespace(`access-${kind}`), ...options };
    const store =
      kind === 'memory'
        ? new MemoryAccessStore(merged)
        : kind === 'redis'
          ? new RedisAccessStore(ioredisTransport({ url: setup.server.url, timeoutMs: 1000 }), merged)
          : new RedisAccessStore(
              upstashTransport({ url: setup.bridge.url, token: setup.bridge.token, timeoutMs: 1000 }),
              merged,
            );
    opened.push(store);
    return store;
  };

  it('keeps keys with their scopes, lists them without hashes, oldest first, and revokes them', async () => {
    const store = open();
    await store.createKey(key('k2', { createdAt: 2_000, scopes: ['write', 'read'] }));
    await store.createKey(key('k1'));
    expect(await store.listKeys()).toEqual([
      { id: 'k1', name: 'key k1', scopes: ['read'], createdAt: 1_000 },
      { id: 'k2', name: 'key k2', scopes: ['write', 'read'], createdAt: 2_000 },
    ]);
    expect(await store.revokeKey('k1')).toBe(true);
    expect(await store.revokeKey('k1')).toBe(false);
    expect((await store.listKeys()).map((k) => k.id)).toEqual(['k2']);
    expect((await store.authenticate('k1', 5_000, 60_000)).record).toBeNull();
  });

  it('refuses a key over the cap with a typed error naming it', async () => {
    const store = open({ maxKeys: 2 });
    await store.createKey(key('a'));
    await store.createKey(key('b'));
    const error = await store.createKey(key('c')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyLimitError);
    expect((error as Error).message).toContain('at most 2 API keys');
  });

  it('counts requests per key in fixed windows, and nothing for an unknown id', async () => {
    const store = open();
    await store.createKey(key('k'));
    const first = await store.authenticate('k', 60_001, 60_000);
    const second = await store.authenticate('k', 119_999, 60_000);
    const next = await store.authenticate('k', 120_000, 60_000);
    expect([first.count, second.count, next.count]).toEqual([1, 2, 1]);
    expect([first.windowEndsAt, next.windowEndsAt]).toEqual([120_000, 180_000]);
    expect(first.record).toEqual(key('k'));
    // Requests counted in-process are added in one go.
    expect((await store.authenticate('k', 120_001, 60_000, 5)).count).toBe(6);
    expect((await store.authenticate('k', 180_000, 60_000, 3)).count).toBe(3);
    expect(await store.authenticate('nobody', 60_001, 60_000)).toEqual({
      record: null,
      count: 0,
      windowEndsAt: 120_000,
    });
  });

  it('keeps the write audit newest first, filtered by target, capped', async () => {
    const store = open({ writeAuditMaxEntries: 3 });
    for (let i = 1; i <= 4; i++)
      await store.recordWrite({
        at: i,
        keyId: 'k',
        keyName: 'ops',
        action: 'put-policy',
        targetId: i % 2 ? 'odd' : 'even',
        version: i,
        change: { i },
      });
    expect((await store.readWrites()).map((w) => w.at)).toEqual([4, 3, 2]);
    expect((await store.readWrites({ targetId: 'odd' })).map((w) => w.at)).toEqual([3]);
    expect((await store.readWrites({ limit: 1 }))[0]).toEqual({
      at: 4,
      keyId: 'k',
      keyName: 'ops',
      action: 'put-policy',
      targetId: 'even',
      version: 4,
      change: { i: 4 },
    });
  });
});

describe.each<StoreKind>(['memory', 'redis', 'upstash'])('%s: a document write and its write-audit entry', (kind) => {
  /** A state store and the access store beside it, on one namespace (in memory: sharing the write log). */
  const pair = () => {
    const namespace = freshNamespace(`atomic-${kind}`);
    const state = setup.create(kind, { namespace });
    const access =
      kind === 'memory'
        ? new MemoryAccessStore({ namespace }, (state as MemoryStateStore).writes)
        : kind === 'redis'
          ? new RedisAccessStore(ioredisTransport({ url: setup.server.url, timeoutMs: 1000 }), { namespace })
          : new RedisAccessStore(
              upstashTransport({ url: setup.bridge.url, token: setup.bridge.token, timeoutMs: 1000 }),
              {
                namespace,
              },
            );
    opened.push(access);
    return { state, access };
  };
  const audit = (action: string, targetId: string, change: unknown, maxEntries = 100) => ({
    record: { at: 1_000, keyId: 'k1', keyName: 'ops', action, targetId, change },
    maxEntries,
  });

  it('land together, the entry with the version the write made', async () => {
    const { state, access } = pair();
    const targetVersion = await state.putTarget(
      testTarget('llm'),
      undefined,
      audit('put-target', 'llm', { id: 'llm' }),
    );
    const policy = testPolicy({ maxCapacity: 7 });
    const policyVersion = await state.putPolicy('llm', policy, null, audit('put-policy', 'llm', policy));
    expect(await access.readWrites({ targetId: 'llm' })).toEqual([
      {
        at: 1_000,
        keyId: 'k1',
        keyName: 'ops',
        action: 'put-policy',
        targetId: 'llm',
        change: policy,
        version: policyVersion,
      },
      {
        at: 1_000,
        keyId: 'k1',
        keyName: 'ops',
        action: 'put-target',
        targetId: 'llm',
        change: { id: 'llm' },
        version: targetVersion,
      },
    ]);
    expect(await state.deletePolicy('llm', policyVersion, audit('delete-policy', 'llm', null))).toBe(true);
    expect(await state.deleteTarget('llm', undefined, audit('delete-target', 'llm', null))).toBe(true);
    expect((await access.readWrites()).map((w) => [w.action, w.version])).toEqual([
      ['delete-target', undefined],
      ['delete-policy', undefined],
      ['put-policy', policyVersion],
      ['put-target', targetVersion],
    ]);
  });

  it('neither lands when the write does not: a stale version, a missing target, a delete of nothing', async () => {
    const { state, access } = pair();
    await state.putTarget(testTarget('llm'));
    const version = await state.putPolicy('llm', testPolicy());
    await expect(
      state.putPolicy('llm', testPolicy(), version + 100, audit('put-policy', 'llm', 1)),
    ).rejects.toBeInstanceOf(VersionConflictError);
    await expect(
      state.putPolicy('ghost', testPolicy(), undefined, audit('put-policy', 'ghost', 2)),
    ).rejects.toBeInstanceOf(TargetNotFoundError);
    await expect(state.deletePolicy('llm', version + 100, audit('delete-policy', 'llm', 3))).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    expect(await state.deletePolicy('ghost', undefined, audit('delete-policy', 'ghost', 4))).toBe(false);
    expect(await access.readWrites()).toEqual([]);
    expect((await state.getPolicy('llm'))?.version).toBe(version);
  });

  it('the entries are capped, oldest out first', async () => {
    const { state, access } = pair();
    await state.putTarget(testTarget('llm'));
    for (let i = 1; i <= 4; i++)
      await state.putPolicy('llm', testPolicy(), undefined, audit('put-policy', 'llm', i, 3));
    expect((await access.readWrites()).map((w) => w.change)).toEqual([4, 3, 2]);
  });
});

describe('redis access store, Redis down', () => {
  it('answers StateUnavailableError within the bound, not a hang', async () => {
    const store = new RedisAccessStore(ioredisTransport({ url: 'redis://127.0.0.1:1', timeoutMs: 200 }), {
      namespace: 'down',
      timeoutMs: 200,
    });
    opened.push(store);
    const started = Date.now();
    const error = await store.authenticate('k', 1, 60_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateUnavailableError);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
