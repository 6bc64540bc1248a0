import { decodeOverrides } from './exchange-overrides.ts';
import { parseDocument, type ValidationError } from '../../core/errors.ts';
import { MemorySchema, type Memory } from '../../core/schema/memory.ts';
import { PolicySchema, type Policy } from '../../core/schema/policy.ts';
import { TargetSchema, type Target } from '../../core/schema/target.ts';
import type { ZodType } from 'zod';
import type { ActionResult } from '../ports/actuator.ts';
import type {
  AuditEntry,
  EventRecord,
  EventStatus,
  GroupMemberSpend,
  PendingOutbox,
  RecordedDecision,
  RecordedFleet,
  SignalSummary,
  TargetSnapshot,
  Versioned,
} from '../ports/state-store.ts';
import { StateCorruptError } from './errors.ts';

/**
 * Reading values back from Redis (and from the memory store, which keeps the same strings). Everything is
 * validated: memory, targets and policies against their zod schemas, decisions for their shape.
 */

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StateCorruptError(key, `not JSON (${(error as Error).message})`, { cause: error });
  }
}

function parseWith<T>(schema: ZodType<T>, key: string, text: string, name: string): T {
  const result = parseDocument(schema, parseJson(key, text), name);
  if (result.ok) return result.value;
  const error: ValidationError = result.error;
  throw new StateCorruptError(key, error.message, { cause: error });
}

function integer(key: string, text: string | null, field: string): number {
  const value = Number(text);
  if (text === null || !Number.isSafeInteger(value))
    throw new StateCorruptError(key, `${field} is not an integer, was: ${text}`);
  return value;
}

export function decodeMemory(key: string, text: string): Memory {
  return parseWith(MemorySchema, key, text, 'memory');
}

/**
 * The memory this store instance committed last, per state key: the JSON it wrote and the object it encoded.
 * A load that reads back exactly that text gets the object again, with no JSON.parse and no schema
 * validation (about half the CPU of an event when a target's memory is a few KB). It is the object `decide`
 * returned, which is already what the schema gives for its JSON (test/adapters/state/written-memory.test.ts
 * checks this over random runs, spot and training included), and `decide` does not change its input. Any
 * other text (another instance's commit, an operator's write, a corrupt value) is decoded and validated.
 * Bounded by `max` targets; callers treat the memory as read-only, as they do the documents.
 */
export class WrittenMemory {
  private readonly entries = new Map<string, { text: string; memory: Memory }>();

  constructor(private readonly max: number) {}

  /** After a commit of `text` (encoded from `memory`) landed at `key`. */
  remember(key: string, text: string, memory: Memory): void {
    if (!this.entries.has(key) && this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { text, memory });
  }

  /** The memory stored at `key` as `text`: the committed object when the text is the one written here. */
  read(key: string, text: string): Memory {
    const written = this.entries.get(key);
    if (written !== undefined && written.text === text) return written.memory;
    return decodeMemory(key, text);
  }
}

function decodeVersioned<T>(
  schema: ZodType<T>,
  key: string,
  doc: string | null,
  version: string | null,
  name: string,
): Versioned<T> | null {
  if (doc === null) return null;
  return { value: parseWith(schema, key, doc, name), version: integer(key, version, 'version') };
}

export function decodeTarget(key: string, doc: string | null, version: string | null): Versioned<Target> | null {
  return decodeVersioned(TargetSchema, key, doc, version, 'target');
}

export function decodePolicy(key: string, doc: string | null, version: string | null): Versioned<Policy> | null {
  return decodeVersioned(PolicySchema, key, doc, version, 'policy');
}

export function decodeDecision(key: string, text: string): RecordedDecision {
  const value = parseJson(key, text) as Partial<RecordedDecision> | null;
  if (!value || typeof value !== 'object' || typeof value.eventId !== 'string' || !Array.isArray(value.actions)) {
    throw new StateCorruptError(key, 'not a recorded decision');
  }
  return value as RecordedDecision;
}

const STATUSES: readonly EventStatus[] = ['pending', 'done', 'superseded'];

/** The values the LOAD script returns before the group's, in its order (scripts.ts). */
export type LoadReply = readonly (string | null)[];
export const LOAD_FIXED_VALUES = 16;

/**
 * Parsed targets and policies of one store instance, reused while their version is unchanged: every event
 * loads both, and parsing a policy costs about 30 µs. Versions never repeat, so a version match is a
 * content match. Bounded by the number of targets. Callers treat the documents as read-only.
 */
export class DocumentCache {
  private readonly entries = new Map<string, CachedDocument>();

  /** What is held for `key`: its version goes to the LOAD script, which then leaves the document out. */
  peek(key: string): CachedDocument | undefined {
    return this.entries.get(key);
  }

  /**
   * The document read back: `doc` parsed (and kept), or, when `doc` is null beside a version equal to
   * `held`'s (the LOAD script left it out), `held`'s copy.
   */
  read<T>(
    key: string,
    doc: string | null,
    version: string | null,
    decode: (key: string, doc: string | null, version: string | null) => Versioned<T> | null,
    held?: CachedDocument,
  ): Versioned<T> | null {
    if (doc === null) {
      if (version !== null && held && held.version === version) return held.value as Versioned<T>;
      if (version !== null) throw new StateCorruptError(key, `the document at version ${version} came back empty`);
      this.entries.delete(key);
      return null;
    }
    const hit = this.entries.get(key);
    if (hit && version !== null && hit.version === version) return hit.value as Versioned<T>;
    const value = decode(key, doc, version);
    if (version !== null) this.entries.set(key, { version, value });
    return value;
  }
}

/** A parsed document and the version it was read at. */
export interface CachedDocument {
  version: string;
  value: unknown;
}

export function decodeSnapshot(
  keys: { state: string; event: string; target: string; policy: string; exchangeOverrides: string },
  reply: LoadReply,
  documents: DocumentCache,
  held: { target?: CachedDocument; policy?: CachedDocument } = {},
  written?: WrittenMemory,
): TargetSnapshot {
  const at = (i: number) => reply[i] ?? null;
  const [version, memory, pending, pendingLease] = [at(0), at(1), at(2), at(3)];
  const outbox: PendingOutbox | null =
    pending === null ? null : { eventId: pending, leaseUntil: integer(keys.state, pendingLease, 'pendingLease') };
  let event: EventRecord | null = null;
  const status = at(4);
  if (status !== null) {
    if (!STATUSES.includes(status as EventStatus))
      throw new StateCorruptError(keys.event, `unknown status, was: ${status}`);
    event = {
      status: status as EventStatus,
      decision: decodeDecision(keys.event, at(5) ?? ''),
      version: integer(keys.event, at(6), 'version'),
      owner: at(7) ?? '',
      leaseUntil: integer(keys.event, at(8), 'leaseUntil'),
    };
  }
  const exchangeOverrides = decodeOverrides(keys.exchangeOverrides, at(13));
  const fleet = at(14);
  const counter = at(15);
  return {
    ...(exchangeOverrides.length > 0 ? { exchangeOverrides } : {}),
    target: documents.read(keys.target, at(9), at(10), decodeTarget, held.target),
    policy: documents.read(keys.policy, at(11), at(12), decodePolicy, held.policy),
    state: {
      memory: memory === null ? null : written ? written.read(keys.state, memory) : decodeMemory(keys.state, memory),
      version: version === null ? 0 : integer(keys.state, version, 'version'),
      pending: outbox,
      fleet: fleet === null ? null : decodeFleet(keys.state, fleet),
    },
    event,
    documentsVersion: counter === null ? 0 : integer(keys.state, counter, 'document counter'),
  };
}

/** A recorded fleet, checked for its shape (it is Tide's own write, but Redis is outside the process). */
export function decodeFleet(key: string, text: string): RecordedFleet {
  const value = parseJson(key, text) as Partial<RecordedFleet> | null;
  const pools = value?.pools;
  const readable =
    Array.isArray(pools) &&
    pools.every(
      (pool) =>
        typeof pool?.poolId === 'string' &&
        typeof pool.instanceType === 'string' &&
        Number.isSafeInteger(pool.desired) &&
        pool.desired >= 0,
    );
  if (!readable) throw new StateCorruptError(key, 'the recorded fleet is not readable');
  return { pools: pools.map(({ poolId, instanceType, desired }) => ({ poolId, instanceType, desired })) };
}

/**
 * One audit stream entry: the recorded decision plus the signal summary, as JSON in field `entry`. Given the
 * decision's JSON (the commit sends it for the idempotency record too), the entry is that JSON with the
 * signal appended: the same text as `JSON.stringify({ ...decision, signal })`, without encoding the
 * decision a second time.
 */
export function encodeAuditEntry(
  decision: RecordedDecision,
  signal: SignalSummary,
  decisionJson: string = JSON.stringify(decision),
): string {
  if ('signal' in decision || !decisionJson.endsWith('}')) return JSON.stringify({ ...decision, signal });
  const separator = decisionJson === '{}' ? '' : ',';
  return `${decisionJson.slice(0, -1)}${separator}"signal":${JSON.stringify(signal)}}`;
}

export function decodeAuditEntry(key: string, id: string, text: string): AuditEntry {
  const value = decodeDecision(key, text) as AuditEntry;
  return { ...value, id };
}

/** The reconciler's per-action results, as `finish` files them under a decision's audit entry. */
export function encodeActionResults(results: readonly ActionResult[]): string {
  return JSON.stringify(results);
}

const ACTION_STATUSES: ReadonlySet<unknown> = new Set(['done', 'retryable', 'failed', 'skipped']);

/** Per-action results read back, checked for their shape (index, type, status). */
export function decodeActionResults(key: string, text: string): ActionResult[] {
  const value = parseJson(key, text);
  const readable =
    Array.isArray(value) &&
    value.every(
      (item) =>
        typeof item === 'object' &&
        item !== null &&
        Number.isInteger(item.index) &&
        typeof item.type === 'string' &&
        ACTION_STATUSES.has(item.status),
    );
  if (!readable) throw new StateCorruptError(key, 'the recorded action results are not readable');
  return value as ActionResult[];
}

/** The stream id just before `id`, for exclusive paging with XREVRANGE (which takes inclusive bounds). */
export function previousStreamId(id: string): string | null {
  const match = /^(\d+)-(\d+)$/.exec(id);
  if (!match) return null;
  const ms = BigInt(match[1]!);
  const seq = BigInt(match[2]!);
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  if (ms === 0n) return null;
  return `${ms - 1n}-18446744073709551615`;
}

/** The members of a group spend hash (fields and values alternating), each checked. */
export function decodeGroupMembers(key: string, pairs: readonly unknown[]): GroupMemberSpend[] {
  const members: GroupMemberSpend[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const targetId = String(pairs[i]);
    let value: unknown;
    try {
      value = JSON.parse(String(pairs[i + 1]));
    } catch {
      value = undefined;
    }
    const entry = value as Partial<GroupMemberSpend> | undefined;
    const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
    if (!entry || !finite(entry.at) || !finite(entry.usdPerHour) || !finite(entry.usdLastDay))
      throw new StateCorruptError(key, `the spend of ${JSON.stringify(targetId.slice(0, 128))} is not readable`);
    members.push({ targetId, at: entry.at, usdPerHour: entry.usdPerHour, usdLastDay: entry.usdLastDay });
  }
  return members;
}

/** What a commit records in the group's hash for one target. */
export function encodeGroupMember(at: number, spend: { usdPerHour: number; usdLastDay: number }): string {
  return JSON.stringify({ at, usdPerHour: spend.usdPerHour, usdLastDay: spend.usdLastDay });
}
