import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../../adapters/ports/actuator.ts';
import type { StateStore } from '../../../adapters/ports/state-store.ts';
import {
  ExchangeOverrideLimitError,
  StateCorruptError,
  TargetLimitError,
  TargetNotFoundError,
  VersionConflictError,
} from '../../../adapters/state/errors.ts';
import { stateKeys } from '../../../adapters/state/keys.ts';
import type { StateStoreOptions } from '../../../adapters/state/options.ts';
import { commitRequest, scaleOut, testPolicy, testTarget } from './fixtures.ts';
import { freshNamespace, startStoreSetup, type StoreKind, type StoreSetup } from './store-setup.ts';

let setup: StoreSetup;
beforeAll(async () => {
  setup = await startStoreSetup();
});
afterAll(async () => {
  await setup?.close();
});

const KINDS: StoreKind[] = ['memory', 'redis', 'upstash'];

describe.each(KINDS)('%s state store', (kind) => {
  const open = (options: Partial<StateStoreOptions> = {}, clock?: () => number): StateStore =>
    setup.create(kind, { namespace: freshNamespace(kind), ...options }, clock);

  it('loads an unknown target as empty state at version 0', async () => {
    const snapshot = await open().load('llm-endpoint', 'e1');
    expect(snapshot).toEqual({
      target: null,
      policy: null,
      state: { memory: null, version: 0, pending: null, fleet: null },
      event: null,
      documentsVersion: 0,
    });
  });

  it('returns the document counter with every load; every target or policy write and delete moves it', async () => {
    const store = open();
    const seen = [(await store.load('a', 'e1')).documentsVersion];
    await store.putTarget(testTarget('a'));
    seen.push((await store.load('a', 'e1')).documentsVersion);
    await store.putPolicy('a', testPolicy());
    seen.push((await store.load('a', 'e1')).documentsVersion);
    await store.deletePolicy('a');
    seen.push((await store.load('a', 'e1')).documentsVersion);
    await store.deleteTarget('a');
    seen.push((await store.load('a', 'e1')).documentsVersion);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
    expect(await store.documentsVersion()).toBe(seen.at(-1));
  });

  describe('exchange closures and changed hours', () => {
    const closure = {
      exchange: 'XNYS',
      date: '2027-01-08',
      status: 'closed' as const,
      reason: 'National Day of Mourning',
    };
    const hours = { exchange: 'XLON', date: '2027-01-11', status: 'hours' as const, close: '12:30', reason: 'systems' };

    it('come back with every load once recorded (same round trip), in date order, and go when removed', async () => {
      const store = open();
      expect((await store.load('llm-endpoint', 'e1')).exchangeOverrides).toBeUndefined();
      await store.putExchangeOverride(hours, '2027-01-01');
      await store.putExchangeOverride(closure, '2027-01-01');
      expect(await store.listExchangeOverrides()).toEqual([closure, hours]);
      expect((await store.load('llm-endpoint', 'e1')).exchangeOverrides).toEqual([closure, hours]);
      expect(await store.deleteExchangeOverride('XNYS', '2027-01-08')).toBe(true);
      expect(await store.deleteExchangeOverride('XNYS', '2027-01-08')).toBe(false);
      expect((await store.load('llm-endpoint', 'e1')).exchangeOverrides).toEqual([hours]);
    });

    it('replace the entry for the same exchange and date, and drop the ones before keepFrom', async () => {
      const store = open();
      await store.putExchangeOverride(closure, '2027-01-01');
      await store.putExchangeOverride({ ...closure, reason: 'corrected' }, '2027-01-01');
      expect(await store.listExchangeOverrides()).toEqual([{ ...closure, reason: 'corrected' }]);
      await store.putExchangeOverride(hours, '2027-01-10');
      expect(await store.listExchangeOverrides()).toEqual([hours]);
    });

    it('are bounded: the 257th live entry is refused with a typed error', async () => {
      const store = open();
      for (let i = 0; i < 256; i += 1) {
        const date = new Date(Date.UTC(2027, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
        await store.putExchangeOverride({ ...closure, date }, '2027-01-01');
      }
      const error = await store
        .putExchangeOverride({ ...closure, date: '2028-06-01' }, '2027-01-01')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExchangeOverrideLimitError);
      // 257 sequential round trips (through the Upstash HTTP bridge for that store) took over 20 s on a loaded
      // 2-core machine; writes in parallel would only meet the store's bounded compare-and-set retries.
    }, 60_000);
  });

  describe('targets and policies', () => {
    it('versions every write from one counter, so an ETag is never reused after delete and re-create', async () => {
      const store = open();
      const v1 = await store.putTarget(testTarget(), null);
      const v2 = await store.putPolicy('llm-endpoint', testPolicy({ maxCapacity: 8 }), null);
      const v3 = await store.putTarget(testTarget(), v1);
      expect([v2 > v1, v3 > v2]).toEqual([true, true]);
      expect(await store.getTarget('llm-endpoint')).toEqual({ value: testTarget(), version: v3 });
      expect((await store.getPolicy('llm-endpoint'))?.value.maxCapacity).toBe(8);
      expect(await store.deleteTarget('llm-endpoint', v3)).toBe(true);
      expect(await store.getPolicy('llm-endpoint')).toBeNull();
      const v4 = await store.putTarget(testTarget(), null);
      expect(v4).toBeGreaterThan(v3);
    });

    it.each([
      { label: 'a stale version', expected: 999 },
      { label: '"must not exist" when it does', expected: null },
    ])('refuses a put carrying $label', async ({ expected }) => {
      const store = open();
      const version = await store.putTarget(testTarget());
      const error = await store.putTarget(testTarget(), expected).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VersionConflictError);
      expect(error).toMatchObject({ expectedVersion: expected, currentVersion: version });
      expect((await store.getTarget('llm-endpoint'))?.version).toBe(version);
    });

    it('refuses a delete carrying a stale version and reports a missing document as false', async () => {
      const store = open();
      const version = await store.putTarget(testTarget());
      await expect(store.deleteTarget('llm-endpoint', version + 1)).rejects.toBeInstanceOf(VersionConflictError);
      expect(await store.deletePolicy('llm-endpoint')).toBe(false);
      expect(await store.deleteTarget('llm-endpoint')).toBe(true);
      expect(await store.deleteTarget('llm-endpoint')).toBe(false);
    });

    it('shows each instance the policy another instance wrote (no stale parsed copy)', async () => {
      const namespace = freshNamespace(kind);
      const a = setup.create(kind, { namespace });
      const b = kind === 'memory' ? a : setup.create(kind, { namespace });
      await a.putTarget(testTarget());
      await a.putPolicy('llm-endpoint', testPolicy({ maxCapacity: 8 }));
      expect((await b.load('llm-endpoint', 'e1')).policy?.value.maxCapacity).toBe(8);
      await a.putPolicy('llm-endpoint', testPolicy({ maxCapacity: 9 }));
      expect((await b.load('llm-endpoint', 'e1')).policy?.value.maxCapacity).toBe(9);
      await a.deletePolicy('llm-endpoint');
      expect((await b.load('llm-endpoint', 'e1')).policy).toBeNull();
    });

    it('needs the target before its policy', async () => {
      await expect(open().putPolicy('nobody', testPolicy())).rejects.toBeInstanceOf(TargetNotFoundError);
    });

    it('caps the number of targets and lists them', async () => {
      const store = open({ maxTargets: 2 });
      await store.putTarget(testTarget('b'));
      await store.putTarget(testTarget('a'));
      await store.putTarget(testTarget('a')); // replacing one does not count twice
      await expect(store.putTarget(testTarget('c'))).rejects.toBeInstanceOf(TargetLimitError);
      expect(await store.listTargets()).toEqual(['a', 'b']);
      await store.deleteTarget('b');
      await store.putTarget(testTarget('c'));
      expect(await store.listTargets()).toEqual(['a', 'c']);
    });
  });

  describe('commit', () => {
    it('writes memory, version, the idempotency record and the audit entry together', async () => {
      const store = open();
      const request = commitRequest({ eventId: 'e1', expectedVersion: 0, now: 5_000 });
      expect(await store.commit('llm-endpoint', request)).toEqual({ status: 'committed', version: 1 });
      const snapshot = await store.load('llm-endpoint', 'e1');
      expect(snapshot.state).toEqual({ memory: request.memory, version: 1, pending: null, fleet: null });
      expect(snapshot.event).toEqual({
        status: 'done',
        decision: request.decision,
        version: 1,
        owner: request.owner,
        leaseUntil: 0,
      });
      const audit = await store.readAudit('llm-endpoint');
      expect(audit.entries).toHaveLength(1);
      expect(audit.entries[0]).toMatchObject({ ...request.decision, signal: request.signal });
    });

    it('keeps the fleet a commit records (shadow mode) in the state, and a commit without one clears it', async () => {
      const store = open();
      const fleet = { pools: [{ poolId: 'primary', instanceType: 'ml.g5.2xlarge', desired: 3 }] };
      await store.commit('llm-endpoint', { ...commitRequest({ eventId: 'e1', expectedVersion: 0 }), fleet });
      expect((await store.load('llm-endpoint', 'e2')).state.fleet).toEqual(fleet);
      await store.commit('llm-endpoint', commitRequest({ eventId: 'e2', expectedVersion: 1 }));
      expect((await store.load('llm-endpoint', 'e3')).state.fleet).toBeNull();
    });

    it('keeps the recent signals commits carry: newest first, bounded in count, bytes per entry and age; gone with the target', async () => {
      let now = 1_000;
      const store = open(
        { recentSignalsMax: 3, recentSignalMaxBytes: 600, recentSignalsMaxAgeSeconds: 3600 },
        () => now,
      );
      await store.putTarget(testTarget('llm-endpoint'));
      const observed = { observedAt: 0, pools: [] };
      const metric = (value: number, at: number) => ({
        kind: 'metric' as const,
        metric: 'gpu_utilization',
        value,
        source: 'test',
        observedAt: at,
        eventId: `m${value}`,
      });
      for (let i = 1; i <= 4; i++) {
        now = i * 1000;
        await store.commit('llm-endpoint', {
          ...commitRequest({ eventId: `e${i}`, expectedVersion: i - 1, now }),
          recent: { signal: metric(i * 10, now), observed: { ...observed, observedAt: now } },
        });
      }
      // A signal over the byte cap is not kept; a commit without one keeps nothing new.
      await store.commit('llm-endpoint', {
        ...commitRequest({ eventId: 'e5', expectedVersion: 4, now: 5000 }),
        recent: { signal: { ...metric(50, 5000), source: 'x'.repeat(700) }, observed: null },
      });
      await store.commit('llm-endpoint', commitRequest({ eventId: 'e6', expectedVersion: 5, now: 6000 }));
      const kept = await store.readRecentSignals('llm-endpoint', 6000);
      expect(kept.map((entry) => entry.eventId)).toEqual(['e4', 'e3', 'e2']);
      expect(kept[0]).toMatchObject({
        at: 4000,
        signal: { kind: 'metric', value: 40, metric: 'gpu_utilization' },
        observed: { observedAt: 4000, pools: [] },
        decided: { outcome: expect.any(String), desiredCapacity: expect.any(Number) },
      });
      // An hour after e2 it is past the age cap.
      expect((await store.readRecentSignals('llm-endpoint', 2000 + 3600_000 + 1)).map((e) => e.eventId)).toEqual([
        'e4',
        'e3',
      ]);
      await store.deleteTarget('llm-endpoint');
      expect(await store.readRecentSignals('llm-endpoint', 6000)).toEqual([]);
    });

    it('refuses a stale version and writes nothing', async () => {
      const store = open();
      await store.commit('llm-endpoint', commitRequest({ eventId: 'e1', expectedVersion: 0 }));
      const stale = await store.commit('llm-endpoint', commitRequest({ eventId: 'e2', expectedVersion: 0 }));
      expect(stale).toEqual({ status: 'conflict', version: 1 });
      expect((await store.load('llm-endpoint', 'e2')).event).toBeNull();
      expect((await store.readAudit('llm-endpoint')).entries.map((entry) => entry.eventId)).toEqual(['e1']);
    });

    it('answers a second commit of the same event with duplicate, and a retry by the same owner with its own result', async () => {
      const store = open();
      const first = commitRequest({ eventId: 'e1', expectedVersion: 0, owner: 'instance-a' });
      await store.commit('llm-endpoint', first);
      expect(
        await store.commit('llm-endpoint', commitRequest({ eventId: 'e1', expectedVersion: 1, owner: 'instance-b' })),
      ).toEqual({ status: 'duplicate' });
      expect(await store.commit('llm-endpoint', first)).toEqual({ status: 'committed', version: 1 });
      expect((await store.load('llm-endpoint', 'x')).state.version).toBe(1);
    });

    it('keeps targets apart', async () => {
      const store = open();
      await store.commit('a', commitRequest({ eventId: 'e1', expectedVersion: 0 }));
      expect(await store.commit('b', commitRequest({ eventId: 'e1', expectedVersion: 0 }))).toEqual({
        status: 'committed',
        version: 1,
      });
    });

    it('keeps targets apart when their ids contain ":" (target col + event x:e1 vs target col:x + event e1)', async () => {
      const store = open();
      expect(await store.commit('col', commitRequest({ eventId: 'x:e1', expectedVersion: 0 }))).toEqual({
        status: 'committed',
        version: 1,
      });
      expect(await store.commit('col:x', commitRequest({ eventId: 'e1', expectedVersion: 0 }))).toEqual({
        status: 'committed',
        version: 1,
      });
      expect((await store.load('col:x', 'e1')).event?.decision.eventId).toBe('e1');
      expect((await store.load('col', 'x:e1')).event?.decision.eventId).toBe('x:e1');
      expect((await store.load('col', 'e1')).event).toBeNull();
    });
  });

  describe('outbox', () => {
    it('holds decisions with actions back while an earlier one is being executed, but not holds', async () => {
      const store = open();
      await store.commit(
        'llm-endpoint',
        commitRequest({ eventId: 'e1', expectedVersion: 0, now: 1_000, leaseUntil: 61_000 }),
      );
      let snapshot = await store.load('llm-endpoint', 'e1');
      expect(snapshot.state.pending).toEqual({ eventId: 'e1', leaseUntil: 61_000 });
      expect(snapshot.event).toMatchObject({ status: 'pending', leaseUntil: 61_000 });

      const acting = await store.commit(
        'llm-endpoint',
        commitRequest({ eventId: 'e2', expectedVersion: 1, now: 2_000, leaseUntil: 62_000 }),
      );
      expect(acting).toEqual({ status: 'busy', pending: { eventId: 'e1', leaseUntil: 61_000 } });
      expect(
        await store.commit('llm-endpoint', commitRequest({ eventId: 'e3', expectedVersion: 1, now: 2_000 })),
      ).toEqual({ status: 'committed', version: 2 });

      await store.finish('llm-endpoint', 'e1', 'done');
      snapshot = await store.load('llm-endpoint', 'e1');
      expect(snapshot.state.pending).toBeNull();
      expect(snapshot.event?.status).toBe('done');
      expect(
        await store.commit(
          'llm-endpoint',
          commitRequest({ eventId: 'e2', expectedVersion: 2, now: 3_000, leaseUntil: 63_000 }),
        ),
      ).toMatchObject({ status: 'committed' });
    });

    it('lets a redelivery claim the outbox only once the lease has expired, or was released', async () => {
      const store = open();
      await store.commit(
        'llm-endpoint',
        commitRequest({ eventId: 'e1', expectedVersion: 0, now: 1_000, leaseUntil: 61_000 }),
      );
      expect(await store.claim('llm-endpoint', 'e1', 'redelivery-1', 30_000, 90_000)).toEqual({
        status: 'busy',
        leaseUntil: 61_000,
      });
      expect(await store.claim('llm-endpoint', 'e1', 'redelivery-1', 61_001, 121_001)).toEqual({ status: 'claimed' });
      expect((await store.load('llm-endpoint', 'e1')).state.pending).toEqual({ eventId: 'e1', leaseUntil: 121_001 });
      await store.finish('llm-endpoint', 'e1', 'release');
      expect(await store.claim('llm-endpoint', 'e1', 'redelivery-2', 61_002, 121_002)).toEqual({ status: 'claimed' });
      await store.finish('llm-endpoint', 'e1', 'done');
      expect(await store.claim('llm-endpoint', 'e1', 'redelivery-3', 61_003, 121_003)).toEqual({ status: 'done' });
      expect(await store.claim('llm-endpoint', 'never-seen', 'redelivery-3', 61_003, 121_003)).toEqual({
        status: 'missing',
      });
    });

    it('supersedes an abandoned outbox once a newer decision with actions is committed after its lease', async () => {
      const store = open();
      await store.commit(
        'llm-endpoint',
        commitRequest({ eventId: 'e1', expectedVersion: 0, now: 1_000, leaseUntil: 61_000 }),
      );
      const newer = commitRequest({
        eventId: 'e2',
        expectedVersion: 1,
        now: 70_000,
        leaseUntil: 130_000,
        actions: [scaleOut(2, 4)],
      });
      expect(await store.commit('llm-endpoint', newer)).toEqual({ status: 'committed', version: 2 });
      expect(await store.claim('llm-endpoint', 'e1', 'redelivery', 71_000, 131_000)).toEqual({ status: 'superseded' });
      expect((await store.load('llm-endpoint', 'e1')).event?.status).toBe('superseded');
      expect((await store.load('llm-endpoint', 'e2')).state.pending).toEqual({ eventId: 'e2', leaseUntil: 130_000 });
    });
  });

  describe('audit log', () => {
    it('reads newest first in pages and keeps at most auditMaxEntries', async () => {
      const store = open({ auditMaxEntries: 25 });
      for (let version = 0; version < 30; version++) {
        await store.commit('llm-endpoint', commitRequest({ eventId: `e${version + 1}`, expectedVersion: version }));
      }
      const seen: string[] = [];
      let before: string | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await store.readAudit('llm-endpoint', { limit: 10, ...(before ? { before } : {}) });
        seen.push(...result.entries.map((entry) => entry.eventId));
        if (!result.next) break;
        before = result.next;
      }
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `e${30 - i}`));
    });

    it("files the reconciler's per-action results under the decision's entry, replacing an earlier attempt's", async () => {
      const store = open();
      const retryable: ActionResult[] = [
        {
          index: 0,
          type: 'set-capacity',
          status: 'retryable',
          error: { name: 'ThrottledError', message: 'slow down' },
        },
      ];
      const done: ActionResult[] = [{ index: 0, type: 'set-capacity', status: 'done' }];
      await store.commit('llm-endpoint', commitRequest({ eventId: 'e1', expectedVersion: 0, leaseUntil: 61_000 }));
      await store.commit('llm-endpoint', commitRequest({ eventId: 'hold', expectedVersion: 1 }));
      let entries = (await store.readAudit('llm-endpoint')).entries;
      expect(entries.map((entry) => [entry.eventId, entry.results])).toEqual([
        ['hold', undefined],
        ['e1', undefined],
      ]);

      await store.finish('llm-endpoint', 'e1', 'release', retryable);
      entries = (await store.readAudit('llm-endpoint')).entries;
      expect(entries.map((entry) => [entry.eventId, entry.results])).toEqual([
        ['hold', undefined],
        ['e1', retryable],
      ]);
      await store.finish('llm-endpoint', 'e1', 'done', done);
      // Paging carries them too: the entry is on the second page of one.
      const first = await store.readAudit('llm-endpoint', { limit: 1 });
      const second = await store.readAudit('llm-endpoint', { limit: 1, before: first.next! });
      expect(second.entries.map((entry) => [entry.eventId, entry.results])).toEqual([['e1', done]]);
      // A finish without results (or for a hold) files nothing.
      await store.finish('llm-endpoint', 'hold', 'done', done);
      expect((await store.readAudit('llm-endpoint')).entries[0]?.results).toBeUndefined();
    });

    it('drops entries older than auditMaxAgeSeconds', async () => {
      let now = Date.now();
      const store = open({ auditMaxAgeSeconds: 1 }, () => now);
      await store.commit('llm-endpoint', commitRequest({ eventId: 'old', expectedVersion: 0 }));
      // Redis ages entries on its own clock (the one that stamps stream ids), so really wait there.
      if (kind === 'memory') now += 1_100;
      else await new Promise((resolve) => setTimeout(resolve, 1_100));
      await store.commit('llm-endpoint', commitRequest({ eventId: 'new', expectedVersion: 1 }));
      expect((await store.readAudit('llm-endpoint')).entries.map((entry) => entry.eventId)).toEqual(['new']);
    });
  });

  it('deleting a target deletes its memory, audit log and action results', async () => {
    const store = open();
    await store.putTarget(testTarget());
    await store.commit('llm-endpoint', commitRequest({ eventId: 'e1', expectedVersion: 0, leaseUntil: 61_000 }));
    await store.finish('llm-endpoint', 'e1', 'done', [{ index: 0, type: 'set-capacity', status: 'done' }]);
    await store.deleteTarget('llm-endpoint');
    expect((await store.load('llm-endpoint', 'e2')).state.version).toBe(0);
    expect((await store.readAudit('llm-endpoint')).entries).toEqual([]);
  });
});

describe('key bounds (Redis)', () => {
  it.each(['redis', 'upstash'] as const)(
    '%s: every key written for an event has a TTL, and the stream a cap',
    async (kind) => {
      const namespace = freshNamespace(`ttl-${kind}`);
      const store = setup.create(kind, {
        namespace,
        eventTtlSeconds: 600,
        stateTtlSeconds: 7200,
        auditMaxAgeSeconds: 3600,
        auditMaxEntries: 50,
      });
      await store.putTarget(testTarget());
      const done: ActionResult[] = [{ index: 0, type: 'set-capacity', status: 'done' }];
      for (let version = 0; version < 90; version++) {
        await store.commit(
          'llm-endpoint',
          commitRequest({ eventId: `e${version}`, expectedVersion: version, leaseUntil: Date.now() + 60_000 }),
        );
        if (version < 89) await store.finish('llm-endpoint', `e${version}`, 'done', done);
      }
      const keys = stateKeys(namespace);
      const ttl = async (key: string) => setup.inspect.pttl(key);
      expect(await ttl(keys.event('llm-endpoint', 'e0'))).toBeGreaterThan(590_000);
      expect(await ttl(keys.event('llm-endpoint', 'e0'))).toBeLessThanOrEqual(600_000);
      expect(await ttl(keys.state('llm-endpoint'))).toBeGreaterThan(7_190_000);
      expect(await ttl(keys.audit('llm-endpoint'))).toBeGreaterThan(3_590_000);
      expect(await setup.inspect.xlen(keys.audit('llm-endpoint'))).toBe(50);
      // The results hash keeps at most a quarter more fields than the stream entries, and none of an entry
      // the stream has trimmed once it trims; the entries the stream holds keep theirs.
      expect(await ttl(keys.results('llm-endpoint'))).toBeGreaterThan(3_590_000);
      expect(await setup.inspect.hlen(keys.results('llm-endpoint'))).toBeLessThanOrEqual(62);
      const page = await store.readAudit('llm-endpoint', { limit: 40 });
      expect(page.entries.slice(1).every((entry) => entry.results?.[0]?.status === 'done')).toBe(true);
      // Configuration keys have no TTL; they are capped by maxTargets instead.
      expect(await ttl(keys.target('llm-endpoint'))).toBe(-1);
      const all = await setup.inspect.keys(`tide:{${namespace}}:*`);
      const unbounded = [];
      for (const key of all)
        if ((await ttl(key)) === -1 && ![keys.target('llm-endpoint'), keys.targets, keys.seq].includes(key))
          unbounded.push(key);
      expect(unbounded).toEqual([]);
    },
  );

  it.each(['redis', 'upstash'] as const)(
    '%s: memory that fails its schema is a StateCorruptError, not a silent reset',
    async (kind) => {
      const namespace = freshNamespace(`corrupt-${kind}`);
      const store = setup.create(kind, { namespace });
      await setup.inspect.hset(stateKeys(namespace).state('llm-endpoint'), 'version', '3', 'memory', '{"samples": 7}');
      const error = await store.load('llm-endpoint', 'e1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateCorruptError);
      expect((error as Error).message).toContain('samples');
    },
  );
});
