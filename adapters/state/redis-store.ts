import type { Policy } from '../../core/schema/policy.ts';
import type { Target } from '../../core/schema/target.ts';
import type { ActionResult } from '../ports/actuator.ts';
import type {
  AuditPage,
  ClaimResult,
  CommitRequest,
  CommitResult,
  ExpectedVersion,
  StateStore,
  TargetSnapshot,
  Versioned,
  WriteAudit,
  RecentSignal,
} from '../ports/state-store.ts';
import {
  LOAD_FIXED_VALUES,
  decodeAuditEntry,
  decodeActionResults,
  encodeActionResults,
  decodeGroupMembers,
  encodeGroupMember,
  decodePolicy,
  decodeSnapshot,
  decodeTarget,
  DocumentCache,
  encodeAuditEntry,
  WrittenMemory,
  previousStreamId,
} from './codec.ts';
import {
  StateCommandError,
  StateCorruptError,
  StateUnavailableError,
  TargetLimitError,
  TargetNotFoundError,
  VersionConflictError,
} from './errors.ts';
import { stateDeadline } from './deadline.ts';
import { recordsPrefix, stateKeys, type StateKeys } from './keys.ts';
import type { ProviderRecordStore } from '../ports/provider-records.ts';
import { lazyRecords } from './lazy-records.ts';
import { withDefaults, type StateStoreOptions } from './options.ts';
import { StateClientMissingError } from './client-loader.ts';
import type { ExchangeOverride } from '../../core/calendars/types.ts';
import { decodeOverrides, encodeOverrides, withOverride, withoutOverride } from './exchange-overrides.ts';
import { loadCron, needsCron } from '../cron/load.ts';
import {
  CLAIM,
  COMMIT,
  DELETE_DOCUMENT,
  FINISH,
  GET_OVERRIDES,
  LOAD,
  PUT_DOCUMENT,
  READ_AUDIT,
  SET_OVERRIDES,
  type LuaScript,
} from './scripts.ts';
import { GROUP_SPEND } from './scripts.ts';
import { decodeRecentSignal, encodeRecentSignal } from './recent-signals.ts';

/**
 * How the Redis store reaches Redis: ioredis over TCP or `@upstash/redis` over REST. A transport only moves
 * commands and says which errors are worth another attempt; keys, scripts and semantics live in the store.
 */
export interface RedisTransport {
  readonly kind: 'redis' | 'upstash';
  /** Requests sent so far (one network round trip each), for the benchmark. */
  readonly roundTrips: number;
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
  eval(source: string, keys: string[], args: string[]): Promise<unknown>;
  command(args: [string, ...string[]]): Promise<unknown>;
  /** Resolves when a request can be sent (TCP: connected); the store bounds it by the timeout. */
  ready(): Promise<void>;
  isNoScript(error: unknown): boolean;
  /** Connection lost, timeout, server loading or busy: worth another attempt. */
  isTransient(error: unknown): boolean;
  close(): Promise<void>;
}

class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/**
 * Reject after `ms`. Work not yet sent by then is never sent (`expired()` turns true); a request already
 * sent may still land late, which every script tolerates (see `run`).
 */
function withDeadline<T>(ms: number, work: (expired: () => boolean) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(new DeadlineError(`no answer within ${ms} ms`));
    }, ms);
  });
  const running = work(() => late);
  running.catch(() => undefined);
  return Promise.race([running, deadline]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** 25, 50, 100, 200 ms (halved at random so instances that failed together do not retry together). */
function backoffMs(retry: number): number {
  return Math.min(200, 25 * 2 ** (retry - 1)) * (0.5 + Math.random() / 2);
}

function strings(reply: unknown, key: string): (string | null)[] {
  if (!Array.isArray(reply))
    throw new StateCorruptError(key, `expected a script reply array, was: ${JSON.stringify(reply)}`);
  return reply.map((value) => (value === null || value === undefined ? null : String(value)));
}

function expectedArg(expected: ExpectedVersion): string {
  if (expected === undefined) return '*';
  return expected === null ? '' : String(expected);
}

/** The state store over Redis (TCP or Upstash): every method is one script or one read command. */
export class RedisStateStore implements StateStore {
  readonly kind: 'redis' | 'upstash';
  private readonly keys: StateKeys;
  private readonly options: StateStoreOptions;
  private readonly documents = new DocumentCache();
  /** The memory each target's last commit from here wrote: read back without validation (codec.ts). */
  private readonly written: WrittenMemory;
  /** Target id → its group (null: none), from the last load: lets the next load read the group's spend too. */
  private readonly groups = new Map<string, string | null>();

  constructor(
    private readonly transport: RedisTransport,
    options: Partial<StateStoreOptions> = {},
  ) {
    this.kind = transport.kind;
    this.options = withDefaults(options);
    this.keys = stateKeys(this.options.namespace);
    this.written = new WrittenMemory(this.options.maxTargets);
    this.records = lazyRecords(() =>
      import('./provider-records.ts').then(
        ({ RedisProviderRecords }) =>
          new RedisProviderRecords(
            transport,
            recordsPrefix(this.options.namespace),
            (operation, request) => this.run(operation, request),
            (lua, keys, args) => this.script(lua, keys, args),
          ),
      ),
    );
  }

  /** Provider adapters' records (Azure operations and moves), loaded at their first use. */
  readonly records: ProviderRecordStore;

  /** Round trips this store's transport has made (for the benchmark). */
  get roundTrips(): number {
    return this.transport.roundTrips;
  }

  async load(targetId: string, eventId: string): Promise<TargetSnapshot> {
    const k = this.targetKeys(targetId, eventId);
    // The group's spend comes in the same round trip once this instance knows the target's group.
    const knownGroup = this.groups.get(targetId);
    const keys = [k.state, k.event, k.target, k.policy, k.exchangeOverrides, this.keys.seq];
    if (knownGroup) keys.push(this.keys.group(knownGroup));
    // The documents held parsed, by version: the script leaves out those still at it.
    const held = { target: this.documents.peek(k.target), policy: this.documents.peek(k.policy) };
    const args = [held.target?.version ?? '', held.policy?.version ?? ''];
    const reply = await this.run(`load ${targetId}`, () => this.script(LOAD, keys, args));
    if (!Array.isArray(reply)) throw new StateCorruptError(k.state, 'the load script did not return an array');
    const values = strings(reply.slice(0, LOAD_FIXED_VALUES), k.state);
    // A policy with schedules is read with croner, loaded the first time one is seen (adapters/cron/load.ts); a
    // policy left out (held, already decoded) was seen before.
    if (needsCron(values[11])) await loadCron();
    const snapshot = decodeSnapshot(k, values, this.documents, held, this.written);
    const group = snapshot.target?.value.group;
    if (this.groups.size >= this.options.maxTargets && !this.groups.has(targetId)) this.groups.clear();
    this.groups.set(targetId, group ?? null);
    if (group) {
      const key = this.keys.group(group);
      // First load of this target here, or its group changed: one more read, then it rides along.
      const pairs =
        group === knownGroup
          ? reply.slice(LOAD_FIXED_VALUES)
          : await this.run(`load group ${group}`, () => this.script(GROUP_SPEND, [key], []));
      snapshot.group = { id: group, members: decodeGroupMembers(key, Array.isArray(pairs) ? pairs : []) };
    }
    return snapshot;
  }

  async commit(targetId: string, request: CommitRequest): Promise<CommitResult> {
    const k = this.targetKeys(targetId, request.eventId);
    const o = this.options;
    const decision = JSON.stringify(request.decision);
    const memory = JSON.stringify(request.memory);
    const args = [
      request.eventId,
      request.owner,
      String(request.now),
      String(request.expectedVersion),
      memory,
      decision,
      encodeAuditEntry(request.decision, request.signal, decision),
      request.leaseUntil === null ? '' : String(request.leaseUntil),
      String(o.eventTtlSeconds * 1000),
      String(o.stateTtlSeconds * 1000),
      String(o.auditMaxEntries),
      String(o.auditMaxAgeSeconds * 1000),
      request.fleet ? JSON.stringify(request.fleet) : '',
      encodeRecentSignal(request, o),
      String(o.recentSignalsMax),
      String(o.recentSignalsMaxAgeSeconds * 1000),
    ];
    const keys = [k.state, k.event, k.audit, this.keys.signals(targetId)];
    if (request.groupSpend) {
      keys.push(this.keys.group(request.groupSpend.group));
      args.push(targetId, encodeGroupMember(request.now, request.groupSpend));
    }
    const reply = strings(await this.run(`commit ${targetId}`, () => this.script(COMMIT, keys, args)), k.state);
    switch (reply[0]) {
      case 'committed':
        this.written.remember(k.state, memory, request.memory);
        return { status: 'committed', version: Number(reply[1]) };
      case 'duplicate':
        return { status: 'duplicate' };
      case 'conflict':
        return { status: 'conflict', version: Number(reply[1]) };
      case 'busy':
        return { status: 'busy', pending: { eventId: reply[1] ?? '', leaseUntil: Number(reply[2]) } };
      default:
        throw new StateCorruptError(k.state, `unexpected commit reply, was: ${JSON.stringify(reply)}`);
    }
  }

  async claim(targetId: string, eventId: string, owner: string, now: number, leaseUntil: number): Promise<ClaimResult> {
    const k = this.targetKeys(targetId, eventId);
    const args = [eventId, owner, String(now), String(leaseUntil)];
    const reply = strings(
      await this.run(`claim ${targetId}`, () => this.script(CLAIM, [k.state, k.event], args)),
      k.event,
    );
    const status = reply[0];
    if (status === 'busy') return { status, leaseUntil: Number(reply[1]) };
    if (status === 'claimed' || status === 'done' || status === 'superseded' || status === 'missing') return { status };
    throw new StateCorruptError(k.event, `unexpected claim reply, was: ${JSON.stringify(reply)}`);
  }

  async finish(
    targetId: string,
    eventId: string,
    outcome: 'done' | 'release',
    results?: readonly ActionResult[],
  ): Promise<void> {
    const k = this.targetKeys(targetId, eventId);
    const keys = [k.state, k.event];
    const args: string[] = [eventId, outcome];
    if (results) {
      const o = this.options;
      keys.push(this.keys.results(targetId), k.audit);
      args.push(encodeActionResults(results), String(o.auditMaxEntries), String(o.auditMaxAgeSeconds * 1000));
    }
    await this.run(`finish ${targetId}`, () => this.script(FINISH, keys, args));
  }

  async getTarget(targetId: string): Promise<Versioned<Target> | null> {
    const key = this.keys.target(targetId);
    const [doc, version] = strings(
      await this.run(`get target ${targetId}`, () => this.transport.command(['HMGET', key, 'doc', 'version'])),
      key,
    );
    return this.documents.read(key, doc ?? null, version ?? null, decodeTarget);
  }

  async getPolicy(targetId: string): Promise<Versioned<Policy> | null> {
    const key = this.keys.policy(targetId);
    const [doc, version] = strings(
      await this.run(`get policy ${targetId}`, () => this.transport.command(['HMGET', key, 'doc', 'version'])),
      key,
    );
    if (needsCron(doc)) await loadCron();
    return this.documents.read(key, doc ?? null, version ?? null, decodePolicy);
  }

  putTarget(target: Target, expected?: ExpectedVersion, audit?: WriteAudit): Promise<number> {
    const key = this.keys.target(target.id);
    return this.putDocument('target', target.id, key, JSON.stringify(target), expected, audit);
  }

  putPolicy(targetId: string, policy: Policy, expected?: ExpectedVersion, audit?: WriteAudit): Promise<number> {
    return this.putDocument('policy', targetId, this.keys.policy(targetId), JSON.stringify(policy), expected, audit);
  }

  deleteTarget(targetId: string, expected?: ExpectedVersion, audit?: WriteAudit): Promise<boolean> {
    const k = this.keys;
    const extra = [k.policy(targetId), k.state(targetId), k.audit(targetId), k.results(targetId), k.signals(targetId)];
    return this.deleteDocument('target', targetId, k.target(targetId), extra, expected, audit);
  }

  deletePolicy(targetId: string, expected?: ExpectedVersion, audit?: WriteAudit): Promise<boolean> {
    return this.deleteDocument('policy', targetId, this.keys.policy(targetId), [], expected, audit);
  }

  async documentsVersion(): Promise<number> {
    const key = this.keys.seq;
    const reply = await this.run('read document counter', () => this.transport.command(['GET', key]));
    return reply === null || reply === undefined ? 0 : Number(reply);
  }

  async listTargets(): Promise<string[]> {
    const reply = strings(
      await this.run('list targets', () => this.transport.command(['SMEMBERS', this.keys.targets])),
      this.keys.targets,
    );
    return reply.filter((id): id is string => id !== null).sort();
  }

  async readRecentSignals(targetId: string, now: number): Promise<RecentSignal[]> {
    const key = this.keys.signals(targetId);
    const reply = await this.run(`read recent signals ${targetId}`, () =>
      this.transport.command(['LRANGE', key, '0', String(Math.max(0, this.options.recentSignalsMax - 1))]),
    );
    const oldestAt = now - this.options.recentSignalsMaxAgeSeconds * 1000;
    return (Array.isArray(reply) ? reply : []).flatMap((text) => {
      const entry = decodeRecentSignal(String(text), oldestAt);
      return entry ? [entry] : [];
    });
  }

  async readAudit(targetId: string, options: { limit?: number; before?: string } = {}): Promise<AuditPage> {
    const key = this.keys.audit(targetId);
    const limit = Math.min(100, Math.max(1, Math.trunc(options.limit ?? 20)));
    const end = options.before === undefined ? '+' : previousStreamId(options.before);
    if (end === null) return { entries: [], next: null };
    const resultsKey = this.keys.results(targetId);
    const reply = await this.run(`read audit ${targetId}`, () =>
      this.script(READ_AUDIT, [key, resultsKey], [end, String(limit + 1)]),
    );
    const [items, results] = Array.isArray(reply) ? reply : [];
    if (!Array.isArray(items) || !Array.isArray(results))
      throw new StateCorruptError(key, 'the read-audit script did not return two arrays');
    const entries = items.slice(0, limit).map((item, position) => {
      const [id, fields] = item as [string, string[]];
      const index = fields.indexOf('entry');
      const entry = decodeAuditEntry(key, String(id), String(fields[index + 1]));
      const recorded = results[position];
      if (recorded !== null && recorded !== undefined)
        entry.results = decodeActionResults(resultsKey, String(recorded));
      return entry;
    });
    return { entries, next: items.length > limit ? (entries.at(-1)?.id ?? null) : null };
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private targetKeys(targetId: string, eventId: string) {
    const k = this.keys;
    return {
      state: k.state(targetId),
      event: k.event(targetId, eventId),
      target: k.target(targetId),
      policy: k.policy(targetId),
      audit: k.audit(targetId),
      exchangeOverrides: k.exchangeOverrides,
    };
  }

  /** The overrides document as stored ('' when none). */
  private async readOverrides(): Promise<string> {
    const key = this.keys.exchangeOverrides;
    const reply = await this.run('list exchange overrides', () => this.script(GET_OVERRIDES, [key], []));
    return reply === null || reply === undefined ? '' : String(reply);
  }

  /** Read, change, compare-and-set; a concurrent operator's write makes it read again (a few times). */
  private async updateOverrides(change: (current: ExchangeOverride[]) => ExchangeOverride[]): Promise<void> {
    const key = this.keys.exchangeOverrides;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const text = await this.readOverrides();
      const next = encodeOverrides(change(decodeOverrides(key, text)));
      const reply = await this.run('set exchange overrides', () => this.script(SET_OVERRIDES, [key], [text, next]));
      if (String(reply) === 'ok') return;
    }
    throw new VersionConflictError(key, null, null);
  }

  async listExchangeOverrides(): Promise<ExchangeOverride[]> {
    return [...decodeOverrides(this.keys.exchangeOverrides, await this.readOverrides())];
  }

  async putExchangeOverride(override: ExchangeOverride, keepFrom: string): Promise<void> {
    await this.updateOverrides((current) => withOverride(current, override, keepFrom));
  }

  async deleteExchangeOverride(exchange: string, date: string): Promise<boolean> {
    let found = false;
    await this.updateOverrides((current) => {
      const next = withoutOverride(current, exchange, date);
      found = next.length !== current.length;
      return next;
    });
    return found;
  }

  private async putDocument(
    kind: 'target' | 'policy',
    targetId: string,
    key: string,
    doc: string,
    expected: ExpectedVersion,
    audit?: WriteAudit,
  ): Promise<number> {
    const k = this.keys;
    const keys = [key, k.seq, k.targets, k.target(targetId)];
    const args = [doc, expectedArg(expected), targetId, String(this.options.maxTargets), kind];
    if (audit) {
      keys.push(k.writes);
      args.push(JSON.stringify(audit.record), String(audit.maxEntries));
    }
    const reply = strings(await this.run(`put ${kind} ${targetId}`, () => this.script(PUT_DOCUMENT, keys, args)), key);
    if (reply[0] === 'ok') return Number(reply[1]);
    if (reply[0] === 'conflict')
      throw new VersionConflictError(key, expected ?? null, reply[1] === null ? null : Number(reply[1]));
    if (reply[0] === 'full') throw new TargetLimitError(this.options.maxTargets);
    if (reply[0] === 'no-target') throw new TargetNotFoundError(targetId);
    throw new StateCorruptError(key, `unexpected put reply, was: ${JSON.stringify(reply)}`);
  }

  private async deleteDocument(
    kind: 'target' | 'policy',
    targetId: string,
    key: string,
    extra: string[],
    expected: ExpectedVersion,
    audit?: WriteAudit,
  ): Promise<boolean> {
    const keys = [key, this.keys.targets, this.keys.seq, ...extra];
    const args = [expectedArg(expected), targetId, kind];
    if (audit) {
      keys.push(this.keys.writes);
      args.push(JSON.stringify(audit.record), String(audit.maxEntries));
    }
    const reply = strings(
      await this.run(`delete ${kind} ${targetId}`, () => this.script(DELETE_DOCUMENT, keys, args)),
      key,
    );
    if (reply[0] === 'conflict') throw new VersionConflictError(key, expected ?? null, Number(reply[1]));
    return reply[0] === 'ok';
  }

  /** EVALSHA, falling back to EVAL (which also caches the script) after a restart or on a new server. */
  private async script(lua: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.transport.evalsha(lua.sha1, keys, args);
    } catch (error) {
      if (this.transport.isNoScript(error)) return this.transport.eval(lua.source, keys, args);
      throw error;
    }
  }

  /**
   * One operation with the timeout per attempt and bounded retries. Every operation is safe to repeat:
   * reads trivially, the commit because a retry recognises its own earlier attempt by the owner id, the
   * others because they are idempotent.
   */
  private async run<T>(operation: string, request: () => Promise<T>): Promise<T> {
    const attempts = this.options.retries + 1;
    const deadlineAt = stateDeadline();
    let lastError: unknown;
    let made = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(backoffMs(attempt - 1));
      // The invocation's deadline cuts this attempt short, and stops further ones (see deadline.ts).
      const left = deadlineAt === undefined ? Infinity : deadlineAt - Date.now();
      if (left <= 0) {
        lastError ??= new DeadlineError("the invocation's deadline has passed");
        break;
      }
      made = attempt;
      try {
        return await withDeadline(Math.min(this.options.timeoutMs, left), async (expired) => {
          await this.transport.ready();
          if (expired()) throw new DeadlineError('connected too late');
          return request();
        });
      } catch (error) {
        if (error instanceof StateClientMissingError) throw error;
        if (!(error instanceof DeadlineError) && !this.transport.isTransient(error)) {
          throw new StateCommandError(`${operation}: ${(error as Error).message}`, { cause: error });
        }
        lastError = error;
      }
    }
    throw new StateUnavailableError(operation, made, { cause: lastError });
  }
}
