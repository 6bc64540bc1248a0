import type { ExchangeOverride } from '../../core/calendars/types.ts';
import type { Decision } from '../../core/decision.ts';
import type { Memory } from '../../core/schema/memory.ts';
import type { Policy } from '../../core/schema/policy.ts';
import type { Signal, SignalKind } from '../../core/schema/signal.ts';
import type { ObservedCapacity, Target } from '../../core/schema/target.ts';
import type { WriteRecord } from './access-store.ts';
import type { ActionResult, RecordedFleet } from './actuator.ts';
import type { ProviderRecordStore } from './provider-records.ts';

export type { RecordedFleet } from './actuator.ts';

/**
 * The state store port: where the stateless function instances keep everything that must outlive one
 * invocation. Three implementations share its semantics exactly (`adapters/state/`): Upstash over REST,
 * self-hosted Redis over TCP (both run the same Lua scripts) and an in-memory store.
 *
 * The event pipeline uses four calls: `load` (state with the recorded fleet, documents, the document
 * counter and the event's idempotency record in one round trip), `commit` (one compare-and-set script that writes the memory, the idempotency record, the
 * outbox and the audit entry together), then, only when the decision has actions, `finish` after acting;
 * `claim` re-drives the outbox of an event whose earlier invocation died between commit and act.
 */
export interface StateStore {
  readonly kind: 'memory' | 'redis' | 'upstash';
  /**
   * Provider adapters' records between invocations (Azure's started operations, an Azure ML move), beside the
   * state: TTLs, bounded groups. Optional for stores written elsewhere; the three here all have it.
   */
  readonly records?: ProviderRecordStore;
  /** Target, policy, memory with its version, and the record of `eventId` if it was seen before. */
  load(targetId: string, eventId: string): Promise<TargetSnapshot>;
  /** The compare-and-set commit. Nothing is written unless the result is `committed`. */
  commit(targetId: string, request: CommitRequest): Promise<CommitResult>;
  /** Take the lease on a pending outbox so this invocation may execute its actions. */
  claim(targetId: string, eventId: string, owner: string, now: number, leaseUntil: number): Promise<ClaimResult>;
  /**
   * After acting: `done` closes the outbox; `release` drops the lease so a redelivery can act at once.
   * `results` (the reconciler's per-action record) are written in the same step to the decision's audit
   * entry, replacing those of an earlier attempt; `readAudit` returns them as the entry's `results`.
   */
  finish(
    targetId: string,
    eventId: string,
    outcome: 'done' | 'release',
    results?: readonly ActionResult[],
  ): Promise<void>;

  getTarget(targetId: string): Promise<Versioned<Target> | null>;
  /** Create or replace a target; returns the new version. Throws `VersionConflictError`, `TargetLimitError`. */
  putTarget(target: Target, expected?: ExpectedVersion, audit?: WriteAudit): Promise<number>;
  /** Delete a target with its policy, memory and audit log; false when there was none. */
  deleteTarget(targetId: string, expected?: ExpectedVersion, audit?: WriteAudit): Promise<boolean>;
  listTargets(): Promise<string[]>;
  /** The document counter (see {@link TargetSnapshot.documentsVersion}); read it before the documents it covers. */
  documentsVersion(): Promise<number>;
  getPolicy(targetId: string): Promise<Versioned<Policy> | null>;
  /** The target must exist (`TargetNotFoundError` otherwise); returns the new version. */
  putPolicy(targetId: string, policy: Policy, expected?: ExpectedVersion, audit?: WriteAudit): Promise<number>;
  deletePolicy(targetId: string, expected?: ExpectedVersion, audit?: WriteAudit): Promise<boolean>;

  /** Recorded exchange closures and changed hours (`tide calendars close|hours`), by date. */
  listExchangeOverrides(): Promise<ExchangeOverride[]>;
  /**
   * Record a closure or changed hours (replacing one for the same exchange and date) and drop those dated
   * before `keepFrom`. Throws `ExchangeOverrideLimitError` when the deployment keeps the most it may.
   */
  putExchangeOverride(override: ExchangeOverride, keepFrom: string): Promise<void>;
  /** Forget the one for an exchange and date; false when there was none. */
  deleteExchangeOverride(exchange: string, date: string): Promise<boolean>;

  /**
   * The target's recent signals, newest first, each with what was observed and decided (written by `commit`,
   * bounded by the store's `recentSignals*` options; entries older than that at `now`, the clock the
   * commits were stamped with, or that no longer parse are left out).
   */
  readRecentSignals(targetId: string, now: number): Promise<RecentSignal[]>;
  /** The target's decisions, newest first; pass `next` back as `before` for the following page. */
  readAudit(targetId: string, options?: { limit?: number; before?: string }): Promise<AuditPage>;
  close(): Promise<void>;
}

/**
 * The write-audit entry of a document write (the HTTP API's record of who changed what), committed in the
 * same step as the write: both land or neither (one Lua script on Redis, one synchronous step in memory).
 * The store adds the new document `version` to the entry of a put. Read back through the access store's
 * `readWrites`.
 */
export interface WriteAudit {
  record: Omit<WriteRecord, 'version'>;
  /** Entries the write audit keeps (the oldest are dropped first). */
  maxEntries: number;
}

/**
 * The version a write expects, as an HTTP API maps `If-Match` / `If-None-Match: *`: a number must equal
 * the stored version, `null` means "must not exist yet", `undefined` writes unconditionally.
 */
export type ExpectedVersion = number | null | undefined;

/**
 * A document with its version. Versions come from one counter per deployment, so a deleted and recreated
 * document never reuses an ETag: `"${version}"` is safe to hand out as one.
 */
export interface Versioned<T> {
  value: T;
  version: number;
}

/** What is kept of a decision (everything but the memory, which lives once in the target's state). */
export type RecordedDecision = Omit<Decision, 'memory'> & {
  /** The event that produced it (the provider's id, or a content hash of the signal). */
  eventId: string;
  /** The target state version this decision committed. */
  version: number;
};

/** The signal, in a line, for the audit log. */
export interface SignalSummary {
  kind: SignalKind;
  source: string;
  observedAt: number;
  /** e.g. `gpu_utilization = 87 Percent`, `alarm high-latency ALARM`. */
  detail: string;
}

/** `pending`: committed with actions not yet confirmed done (the outbox); `superseded`: a newer decision with actions committed first. */
export type EventStatus = 'pending' | 'done' | 'superseded';

/** The idempotency record of one event, kept for the event TTL (default 24 h). */
export interface EventRecord {
  status: EventStatus;
  decision: RecordedDecision;
  version: number;
  /** Invocation that committed it, or last claimed its outbox. */
  owner: string;
  /** While `pending`: until when `owner` holds the right to act (epoch ms). */
  leaseUntil: number;
}

/** The target's one outstanding outbox, if any: decisions with actions are executed one at a time, in commit order. */
export interface PendingOutbox {
  eventId: string;
  leaseUntil: number;
}

export interface TargetState {
  /** Null for a target never decided on (or whose state expired). */
  memory: Memory | null;
  /** 0 when there is no state yet; +1 on every commit. */
  version: number;
  pending: PendingOutbox | null;
  /** The fleet the last commit recorded (shadow mode keeps one; null otherwise). */
  fleet: RecordedFleet | null;
}

/** One target's spend as its last commit recorded it, for the spend caps of its group. */
export interface GroupMemberSpend {
  targetId: string;
  /** When it was recorded (epoch ms). */
  at: number;
  /** Estimated spend rate after that decision, USD per hour. */
  usdPerHour: number;
  /** What the target spent in the 24 h before `at`, USD. */
  usdLastDay: number;
}

export interface TargetSnapshot {
  /** The deployment's recorded exchange closures and changed hours, when there are any (same round trip). */
  exchangeOverrides?: ExchangeOverride[];
  /** The spend every member of the target's group recorded (`target.group`), when it has one. */
  group?: { id: string; members: GroupMemberSpend[] };
  target: Versioned<Target> | null;
  policy: Versioned<Policy> | null;
  state: TargetState;
  event: EventRecord | null;
  /**
   * The deployment's document counter when loaded: every target or policy write or delete moves it, so
   * anything built from the documents at this number (the trigger routes) is still right.
   */
  documentsVersion: number;
}

export interface CommitRequest {
  eventId: string;
  /** The invocation committing: lets a retried commit recognise its own earlier, timed-out attempt. */
  owner: string;
  now: number;
  /** The state version the decision was made from. */
  expectedVersion: number;
  memory: Memory;
  /** `version` must be `expectedVersion + 1`. */
  decision: RecordedDecision;
  signal: SignalSummary;
  /** When the decision has actions: the lease its committer holds to execute them. Null for a hold. */
  leaseUntil: number | null;
  /** For a target in a group: its spend, recorded in the group's hash with the commit. */
  groupSpend?: { group: string; usdPerHour: number; usdLastDay: number };
  /** The fleet after this decision, for a port that keeps it (shadow mode); a commit without one clears it. */
  fleet?: RecordedFleet;
  /** The signal in full with what was observed, kept among the target's recent signals (the editor's replay). */
  recent?: { signal: Signal; observed: ObservedCapacity | null };
}

/** One of a target's recent signals, as `commit` kept it. */
export interface RecentSignal {
  eventId: string;
  /** When it was decided, epoch ms. */
  at: number;
  signal: Signal;
  /** The capacity observed for the decision (null when none was, or it did not fit the entry's byte cap). */
  observed: ObservedCapacity | null;
  decided: { outcome: string; currentCapacity: number; desiredCapacity: number };
}

export type CommitResult =
  /** Written (also returned when a retried commit finds its own earlier attempt). */
  | { status: 'committed'; version: number }
  /** Another invocation already committed this event; nothing was written. */
  | { status: 'duplicate' }
  /** The state moved on since it was loaded: re-read and decide again. */
  | { status: 'conflict'; version: number }
  /** The decision has actions but an earlier decision's actions are still being executed. */
  | { status: 'busy'; pending: PendingOutbox };

export type ClaimResult =
  | { status: 'claimed' }
  | { status: 'busy'; leaseUntil: number }
  | { status: 'done' | 'superseded' | 'missing' };

export interface AuditEntry extends RecordedDecision {
  /** Stream entry id (`<ms>-<seq>`), usable as a paging cursor. */
  id: string;
  signal: SignalSummary;
  /**
   * What became of each action (done, retryable, failed, skipped), as the last attempt to execute them
   * recorded it. Absent for a decision without actions, and for one whose actions have not run yet (or
   * whose invocation died before recording them: the outbox re-drives it).
   */
  results?: ActionResult[];
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Cursor for the next (older) page; null when there is none. */
  next: string | null;
}
