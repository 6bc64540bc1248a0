/**
 * Provider records (Azure's started operations, an Azure ML move's steps) in each state store: written with a
 * TTL, listed by group, bounded per group, idempotent. Real redis-server and the Upstash bridge over it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderRecordStore } from '../../../adapters/ports/provider-records.ts';
import { MAX_RECORDS_PER_GROUP, recordGroupOf } from '../../../adapters/state/provider-records.ts';
import { freshNamespace, startStoreSetup, type StoreKind, type StoreSetup } from './store-setup.ts';

let setup: StoreSetup;
beforeAll(async () => {
  setup = await startStoreSetup();
});
afterAll(async () => {
  await setup?.close();
});

/** Wait (bounded) until `check` holds. */
async function eventually(check: () => Promise<boolean>, withinMs = 10_000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

it.each([
  ['azure-op:train:spot:1000:virtualMachineScaleSets.update', 'azure-op:train:'],
  ['azure-ml:/subscriptions/s/deployments/blue:current', 'azure-ml:/subscriptions/s/deployments/blue:'],
  ['plain', 'plain'],
])('the group of %s is %s', (key, group) => {
  expect(recordGroupOf(key)).toBe(group);
});

describe.each(['memory', 'redis', 'upstash'] as StoreKind[])('%s store: provider records', (kind) => {
  const open = (): { records: ProviderRecordStore; namespace: string } => {
    const namespace = freshNamespace(`records-${kind}`);
    const records = setup.create(kind, { namespace }).records;
    if (!records) throw new Error('no records');
    return { records, namespace };
  };

  it('writes, replaces (same key, one record), lists one group sorted, deletes', async () => {
    const { records } = open();
    await records.set('azure-op:a:spot:2:update', 'two', 60_000);
    await records.set('azure-op:a:spot:1:update', 'one', 60_000);
    await records.set('azure-op:a:spot:1:update', 'one again', 60_000);
    await records.set('azure-op:b:spot:1:update', 'other target', 60_000);
    expect(await records.get('azure-op:a:spot:1:update')).toBe('one again');
    expect(await records.keys('azure-op:a:')).toEqual(['azure-op:a:spot:1:update', 'azure-op:a:spot:2:update']);
    await records.delete('azure-op:a:spot:1:update');
    await records.delete('azure-op:a:spot:1:update'); // twice is fine
    expect(await records.get('azure-op:a:spot:1:update')).toBeNull();
    expect(await records.keys('azure-op:a:')).toEqual(['azure-op:a:spot:2:update']);
    expect(await records.keys('azure-op:b:')).toEqual(['azure-op:b:spot:1:update']);
    expect(await records.keys('azure-op:none:')).toEqual([]);
  });

  it('a record expires with its TTL, and leaves its group', async () => {
    const { records } = open();
    await records.set('azure-op:t:p:1:update', 'short', 150);
    await records.set('azure-op:t:p:2:update', 'long', 60_000);
    await eventually(async () => (await records.get('azure-op:t:p:1:update')) === null);
    expect(await records.keys('azure-op:t:')).toEqual(['azure-op:t:p:2:update']);
  });

  it(`a group keeps at most ${MAX_RECORDS_PER_GROUP} records: those closest to expiring go first`, {
    timeout: 60_000,
  }, async () => {
    const { records, namespace } = open();
    const count = MAX_RECORDS_PER_GROUP + 4;
    for (let i = 0; i < count; i++) {
      const id = String(i).padStart(3, '0');
      await records.set(`azure-op:big:p:${id}:update`, `v${i}`, 60_000 + i * 1000);
    }
    const kept = await records.keys('azure-op:big:');
    expect(kept).toHaveLength(MAX_RECORDS_PER_GROUP);
    expect(kept[0]).toBe('azure-op:big:p:004:update');
    expect(await records.get('azure-op:big:p:000:update')).toBeNull();
    if (kind !== 'memory') {
      // The dropped records are gone from Redis, not only from the index; the rest carry TTLs.
      expect(await setup.inspect.exists(`tide:{${namespace}}:rec:azure-op:big:p:000:update`)).toBe(0);
      expect(await setup.inspect.pttl(`tide:{${namespace}}:rec:azure-op:big:p:100:update`)).toBeGreaterThan(0);
      expect(await setup.inspect.pttl(`tide:{${namespace}}:rec-index:azure-op:big:`)).toBeGreaterThan(0);
    }
  });

  it('refuses a TTL that is not a whole number of ms in 1..400 days', async () => {
    const { records } = open();
    for (const ttl of [0, -1, 1.5, 401 * 86_400_000])
      await expect(records.set('azure-op:x:p:1:u', 'v', ttl)).rejects.toThrow(/record TTL must be/);
  });
});
