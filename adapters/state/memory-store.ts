import type { ExchangeOverride } from '../../core/calendars/types.ts';
import { decodeOverrides, encodeOverrides, withOverride, withoutOverride } from './exchange-overrides.ts';
import type { Policy } from '../../core/schema/policy.ts';
import type { Target } from '../../core/schema/target.ts';
import type { ActionResult } from '../ports/actuator.ts';
import type {
  AuditPage,
  ClaimResult,
  CommitRequest,
  CommitResult,
  EventStatus,
  ExpectedVersion,
  StateStore,
  TargetSnapshot,
  Versioned,
  WriteAudit,
  RecentSignal,
} from '../ports/state-store.ts';
import {
  decodeAuditEntry,
  decodeActionResults,
  encodeActionResults,
  decodeGroupMembers,
  encodeGroupMember,
  decodeDecision,
  decodeFleet,
  decodeMemory,
  decodePolicy,
  decodeTarget,
  DocumentCache,
  encodeAuditEntry,
} from './codec.ts';
import { TargetLimitError, TargetNotFoundError, VersionConflictError } from './errors.ts';
import { stateKeys, type StateKeys } from './keys.ts';
import type { ProviderRecordStore } from '../ports/provider-records.ts';
import { lazyRecords } from './lazy-records.ts';
import { withDefaults, type StateStoreOptions } from './options.ts';
import { MemoryWriteLog } from './write-log.ts';
import { loadCron, needsCron } from '../cron/load.ts';
import { decodeRecentSignal, encodeRecentSignal } from './recent-signals.ts';

interface Doc {
  doc: string;
  version: number;
}
interface StateEntry {
  version: number;
  memory: string;
  pending: { eventId: string; leaseUntil: number } | null;
  /** The recorded fleet (JSON), as the commit script keeps it. */
  fleet: string | null;
  expiresAt: number;
}
interface EventEntry {
  status: EventStatus;
  decision: string;
  version: number;
  owner: string;
  leaseUntil: number;
  expiresAt: number;
  /** For a decision with actions: its audit entry's id, where `finish` files the results. */
  auditId?: string;
}
interface AuditStream {
  /** `results`: the per-action results `finish` filed (the Redis stores keep them in a hash by entry id). */
  entries: { id: string; ms: number; entry: string; results?: string }[];
  last: { ms: number; seq: number };
  expiresAt: number;
}

/** Sweep expired event records once every this many commits, so a long-lived process stays bounded. */
const SWEEP_EVERY = 1000;

/**
 * The in-memory store: the embedded default (one process, no Redis) and the unit tests' store. Same
 * semantics as the Lua scripts, step for step, with the same TTLs and caps (time from `clock`); values are
 * kept as the same JSON strings, so nothing is shared by reference with a caller. It counts calls as
 * `roundTrips` so the benchmark can compare it with the Redis stores.
 */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory';
  roundTrips = 0;
  /** The write audit, appended in the same step as the document write (read by the memory access store). */
  readonly writes = new MemoryWriteLog();
  private readonly options: StateStoreOptions;
  private readonly keys: StateKeys;
  private readonly docs = new Map<string, Doc>();
  private readonly targetIds = new Set<string>();
  private readonly states = new Map<string, StateEntry>();
  private readonly events = new Map<string, EventEntry>();
  private readonly audits = new Map<string, AuditStream>();
  /** Recent signals per target, newest first, as the Redis list keeps them (see ./recent-signals.ts). */
  private readonly recentSignals = new Map<string, { entries: string[]; expiresAt: number }>();
  private readonly documents = new DocumentCache();
  /** Group spend hashes: group key → target id → its encoded spend (as Redis keeps it, with the state's TTL). */
  private readonly groups = new Map<string, Map<string, { value: string; expiresAt: number }>>();
  private seq = 0;
  /** The exchange overrides document, as the Redis stores keep it ('' when none). */
  private overrides = '';
  private commits = 0;

  constructor(
    options: Partial<StateStoreOptions> = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.options = withDefaults(options);
    this.keys = stateKeys(this.options.namespace);
    this.records = lazyRecords(() =>
      import('./provider-records.ts').then(({ MemoryProviderRecords }) => new MemoryProviderRecords(clock)),
    );
  }

  /** Provider adapters' records (Azure operations and moves), with TTLs on this store's clock; loaded at first use. */
  readonly records: ProviderRecordStore;

  async load(targetId: string, eventId: string): Promise<TargetSnapshot> {
    this.roundTrips += 1;
    const k = this.keys;
    const state = this.live(this.states, k.state(targetId));
    const event = this.live(this.events, k.event(targetId, eventId));
    const exchangeOverrides = decodeOverrides(k.exchangeOverrides, this.overrides);
    if (needsCron(this.docs.get(k.policy(targetId))?.doc)) await loadCron();
    const target = this.readDoc(k.target(targetId), decodeTarget);
    const group = target?.value.group;
    const now = this.clock();
    const members = group ? [...(this.groups.get(k.group(group)) ?? new Map()).entries()] : [];
    return {
      ...(exchangeOverrides.length > 0 ? { exchangeOverrides } : {}),
      ...(group
        ? {
            group: {
              id: group,
              members: decodeGroupMembers(
                k.group(group),
                members.filter(([, entry]) => entry.expiresAt > now).flatMap(([id, entry]) => [id, entry.value]),
              ),
            },
          }
        : {}),
      target,
      policy: this.readDoc(k.policy(targetId), decodePolicy),
      state: {
        memory: state ? decodeMemory(k.state(targetId), state.memory) : null,
        version: state?.version ?? 0,
        pending: state?.pending ? { ...state.pending } : null,
        fleet: state?.fleet ? decodeFleet(k.state(targetId), state.fleet) : null,
      },
      documentsVersion: this.seq,
      event: event
        ? {
            status: event.status,
            decision: decodeDecision(k.event(targetId, eventId), event.decision),
            version: event.version,
            owner: event.owner,
            leaseUntil: event.leaseUntil,
          }
        : null,
    };
  }

  async commit(targetId: string, request: CommitRequest): Promise<CommitResult> {
    this.roundTrips += 1;
    const o = this.options;
    const stateKey = this.keys.state(targetId);
    const eventKey = this.keys.event(targetId, request.eventId);
    const existing = this.live(this.events, eventKey);
    if (existing)
      return existing.owner === request.owner
        ? { status: 'committed', version: existing.version }
        : { status: 'duplicate' };
    const state = this.live(this.states, stateKey);
    const version = state?.version ?? 0;
    if (version !== request.expectedVersion) return { status: 'conflict', version };
    const acting = request.leaseUntil !== null;
    if (acting && state?.pending && state.pending.leaseUntil > request.now)
      return { status: 'busy', pending: { ...state.pending } };

    const now = this.clock();
    const pending = acting ? { eventId: request.eventId, leaseUntil: request.leaseUntil! } : (state?.pending ?? null);
    this.states.set(stateKey, {
      version: version + 1,
      memory: JSON.stringify(request.memory),
      pending,
      fleet: request.fleet ? JSON.stringify(request.fleet) : null,
      expiresAt: now + o.stateTtlSeconds * 1000,
    });
    const auditId = this.appendAudit(
      this.keys.audit(targetId),
      encodeAuditEntry(request.decision, request.signal),
      now,
    );
    this.events.set(eventKey, {
      status: acting ? 'pending' : 'done',
      decision: JSON.stringify(request.decision),
      version: version + 1,
      owner: request.owner,
      leaseUntil: request.leaseUntil ?? 0,
      expiresAt: now + o.eventTtlSeconds * 1000,
      ...(acting ? { auditId } : {}),
    });
    const recent = encodeRecentSignal(request, o);
    if (recent !== '') {
      const key = this.keys.signals(targetId);
      const entries = this.live(this.recentSignals, key)?.entries ?? [];
      entries.unshift(recent);
      if (entries.length > o.recentSignalsMax) entries.length = o.recentSignalsMax;
      this.recentSignals.set(key, { entries, expiresAt: now + o.recentSignalsMaxAgeSeconds * 1000 });
    }
    if (request.groupSpend) {
      const key = this.keys.group(request.groupSpend.group);
      const members = this.groups.get(key) ?? new Map<string, { value: string; expiresAt: number }>();
      members.set(targetId, {
        value: encodeGroupMember(request.now, request.groupSpend),
        expiresAt: now + o.stateTtlSeconds * 1000,
      });
      this.groups.set(key, members);
    }
    if (++this.commits % SWEEP_EVERY === 0) this.sweep(now);
    return { status: 'committed', version: version + 1 };
  }

  async claim(targetId: string, eventId: string, owner: string, now: number, leaseUntil: number): Promise<ClaimResult> {
    this.roundTrips += 1;
    const event = this.live(this.events, this.keys.event(targetId, eventId));
    if (!event) return { status: 'missing' };
    if (event.status !== 'pending') return { status: event.status };
    const state = this.live(this.states, this.keys.state(targetId));
    if (state?.pending?.eventId !== eventId) {
      event.status = 'superseded';
      return { status: 'superseded' };
    }
    if (event.owner !== owner && event.leaseUntil > now) return { status: 'busy', leaseUntil: event.leaseUntil };
    event.owner = owner;
    event.leaseUntil = leaseUntil;
    state.pending.leaseUntil = leaseUntil;
    return { status: 'claimed' };
  }

  async finish(
    targetId: string,
    eventId: string,
    outcome: 'done' | 'release',
    results?: readonly ActionResult[],
  ): Promise<void> {
    this.roundTrips += 1;
    const event = this.live(this.events, this.keys.event(targetId, eventId));
    const state = this.live(this.states, this.keys.state(targetId));
    const outboxHere = state?.pending?.eventId === eventId;
    if (outcome === 'done') {
      if (event?.status === 'pending') event.status = 'done';
      if (state && outboxHere) state.pending = null;
    } else {
      if (event?.status === 'pending') event.leaseUntil = 0;
      if (state?.pending && outboxHere) state.pending.leaseUntil = 0;
    }
    if (results && event?.auditId) {
      const entry = this.live(this.audits, this.keys.audit(targetId))?.entries.findLast(
        (item) => item.id === event.auditId,
      );
      if (entry) entry.results = encodeActionResults(results);
    }
  }

  async getTarget(targetId: string): Promise<Versioned<Target> | null> {
    this.roundTrips += 1;
    return this.readDoc(this.keys.target(targetId), decodeTarget);
  }

  async getPolicy(targetId: string): Promise<Versioned<Policy> | null> {
    this.roundTrips += 1;
    if (needsCron(this.docs.get(this.keys.policy(targetId))?.doc)) await loadCron();
    return this.readDoc(this.keys.policy(targetId), decodePolicy);
  }

  async putTarget(target: Target, expected?: ExpectedVersion, audit?: WriteAudit): Promise<number> {
    this.roundTrips += 1;
    const key = this.keys.target(target.id);
    this.checkExpected(key, expected);
    if (!this.docs.has(key) && !this.targetIds.has(target.id)) {
      if (this.targetIds.size >= this.options.maxTargets) throw new TargetLimitError(this.options.maxTargets);
      this.targetIds.add(target.id);
    }
    return this.audited(this.writeDoc(key, target), audit);
  }

  async putPolicy(targetId: string, policy: Policy, expected?: ExpectedVersion, audit?: WriteAudit): Promise<number> {
    this.roundTrips += 1;
    const key = this.keys.policy(targetId);
    this.checkExpected(key, expected);
    if (!this.docs.has(this.keys.target(targetId))) throw new TargetNotFoundError(targetId);
    return this.audited(this.writeDoc(key, policy), audit);
  }

  async deleteTarget(targetId: string, expected?: ExpectedVersion, audit?: WriteAudit): Promise<boolean> {
    this.roundTrips += 1;
    const k = this.keys;
    if (!this.deleteDoc(k.target(targetId), expected)) return false;
    this.audited(undefined, audit);
    this.targetIds.delete(targetId);
    this.docs.delete(k.policy(targetId));
    this.states.delete(k.state(targetId));
    this.audits.delete(k.audit(targetId));
    this.recentSignals.delete(k.signals(targetId));
    return true;
  }

  async deletePolicy(targetId: string, expected?: ExpectedVersion, audit?: WriteAudit): Promise<boolean> {
    this.roundTrips += 1;
    if (!this.deleteDoc(this.keys.policy(targetId), expected)) return false;
    this.audited(undefined, audit);
    return true;
  }

  async listExchangeOverrides(): Promise<ExchangeOverride[]> {
    this.roundTrips += 1;
    return [...decodeOverrides(this.keys.exchangeOverrides, this.overrides)];
  }

  async putExchangeOverride(override: ExchangeOverride, keepFrom: string): Promise<void> {
    this.roundTrips += 1;
    const current = decodeOverrides(this.keys.exchangeOverrides, this.overrides);
    this.overrides = encodeOverrides(withOverride(current, override, keepFrom));
  }

  async deleteExchangeOverride(exchange: string, date: string): Promise<boolean> {
    this.roundTrips += 1;
    const current = decodeOverrides(this.keys.exchangeOverrides, this.overrides);
    const next = withoutOverride(current, exchange, date);
    this.overrides = encodeOverrides(next);
    return next.length !== current.length;
  }

  async documentsVersion(): Promise<number> {
    this.roundTrips += 1;
    return this.seq;
  }

  async listTargets(): Promise<string[]> {
    this.roundTrips += 1;
    return [...this.targetIds].sort();
  }

  async readRecentSignals(targetId: string, now: number): Promise<RecentSignal[]> {
    this.roundTrips += 1;
    const oldestAt = now - this.options.recentSignalsMaxAgeSeconds * 1000;
    return (this.live(this.recentSignals, this.keys.signals(targetId))?.entries ?? []).flatMap((text) => {
      const entry = decodeRecentSignal(text, oldestAt);
      return entry ? [entry] : [];
    });
  }

  async readAudit(targetId: string, options: { limit?: number; before?: string } = {}): Promise<AuditPage> {
    this.roundTrips += 1;
    const key = this.keys.audit(targetId);
    const limit = Math.min(100, Math.max(1, Math.trunc(options.limit ?? 20)));
    const stream = this.live(this.audits, key);
    if (!stream) return { entries: [], next: null };
    const newestFirst = [...stream.entries].reverse();
    const start =
      options.before === undefined ? 0 : newestFirst.findIndex((item) => compareIds(item.id, options.before!) < 0);
    if (start < 0) return { entries: [], next: null };
    const page = newestFirst.slice(start, start + limit + 1);
    const entries = page.slice(0, limit).map((item) => {
      const entry = decodeAuditEntry(key, item.id, item.entry);
      if (item.results !== undefined) entry.results = decodeActionResults(this.keys.results(targetId), item.results);
      return entry;
    });
    return { entries, next: page.length > limit ? (entries.at(-1)?.id ?? null) : null };
  }

  async close(): Promise<void> {}

  private live<T extends { expiresAt: number }>(map: Map<string, T>, key: string): T | undefined {
    const value = map.get(key);
    if (value && value.expiresAt <= this.clock()) {
      map.delete(key);
      return undefined;
    }
    return value;
  }

  private readDoc<T>(
    key: string,
    decode: (key: string, doc: string | null, version: string | null) => Versioned<T> | null,
  ) {
    const doc = this.docs.get(key);
    return this.documents.read(key, doc?.doc ?? null, doc ? String(doc.version) : null, decode);
  }

  private checkExpected(key: string, expected: ExpectedVersion): void {
    if (expected === undefined) return;
    const current = this.docs.get(key)?.version ?? null;
    if (current !== expected) throw new VersionConflictError(key, expected, current);
  }

  /** The write-audit entry of a write that just landed, in the same synchronous step (as the Lua script does). */
  private audited<V extends number | undefined>(version: V, audit: WriteAudit | undefined): V {
    if (audit) this.writes.append(audit.record, version, audit.maxEntries);
    return version;
  }

  private writeDoc(key: string, value: unknown): number {
    this.seq += 1;
    this.docs.set(key, { doc: JSON.stringify(value), version: this.seq });
    return this.seq;
  }

  private deleteDoc(key: string, expected: ExpectedVersion): boolean {
    if (!this.docs.has(key)) return false;
    this.checkExpected(key, expected);
    this.seq += 1; // as DELETE_DOCUMENT moves the counter: route caches see the delete
    return this.docs.delete(key);
  }

  /** XADD MAXLEN n * + XTRIM MINID + PEXPIRE, as the commit script does (ids and age from the store's clock, as Redis uses its own). */
  private appendAudit(key: string, entry: string, now: number): string {
    const o = this.options;
    const stream = this.live(this.audits, key) ?? { entries: [], last: { ms: 0, seq: -1 }, expiresAt: 0 };
    const ms = Math.max(now, stream.last.ms);
    const seq = ms === stream.last.ms ? stream.last.seq + 1 : 0;
    stream.last = { ms, seq };
    const id = `${ms}-${seq}`;
    stream.entries.push({ id, ms, entry });
    const minMs = now - o.auditMaxAgeSeconds * 1000;
    stream.entries = stream.entries.slice(-o.auditMaxEntries).filter((item) => item.ms >= minMs);
    stream.expiresAt = now + o.auditMaxAgeSeconds * 1000;
    this.audits.set(key, stream);
    return id;
  }

  private sweep(now: number): void {
    for (const map of [this.events, this.states, this.audits, this.recentSignals] as Map<
      string,
      { expiresAt: number }
    >[]) {
      for (const [key, value] of map) if (value.expiresAt <= now) map.delete(key);
    }
  }
}

function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map((part) => BigInt(part));
  const [bm = 0n, bs = 0n] = b.split('-').map((part) => BigInt(part));
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}
