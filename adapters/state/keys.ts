import { createHash } from 'node:crypto';

/**
 * Key names, the same for every implementation. Everything of a deployment shares the hash tag
 * `{<namespace>}`, so the Lua scripts may touch any of its keys even on Redis Cluster (one slot per
 * deployment: Tide's state is small, a few KiB per target).
 *
 * Bounds: `state`, `event`, `audit` and `results` keys carry a TTL refreshed on write (and the stream a length and
 * age cap); `target`, `policy` and the `targets` index are the operator's configuration, capped at
 * `maxTargets`; `seq` is one integer.
 */
export interface StateKeys {
  /** Set of target ids (the cap is enforced against it). */
  targets: string;
  /** Version counter for target and policy documents (ETags never repeat). */
  seq: string;
  target(targetId: string): string;
  policy(targetId: string): string;
  /** Hash: memory, version, pending outbox. */
  state(targetId: string): string;
  /**
   * Hash: status, decision, version, owner, lease. The target id is length-prefixed, because ids may
   * contain `:`: target `col` with event `x:e1` and target `col:x` with event `e1` must not share a record.
   */
  event(targetId: string, eventId: string): string;
  /** Stream of decisions. */
  audit(targetId: string): string;
  /**
   * Hash: audit stream id → the per-action results of that decision (JSON), written after acting. Same
   * TTL as the stream; fields whose entry the stream has trimmed are dropped (see the finish script).
   */
  results(targetId: string): string;
  /** Hash: target id → its recorded spend (JSON), for the group's spend caps. TTL as the state's. */
  group(groupId: string): string;
  /** List of the target's recent signals (JSON, newest first), capped in count, in bytes per entry, and by a TTL. */
  signals(targetId: string): string;
  /** JSON list of recorded exchange closures and changed hours, read by every load. */
  exchangeOverrides: string;
  /** Stream of the HTTP API's writes (who changed which document), capped; the access store reads it. */
  writes: string;
}

/** Event ids longer than this are hashed, so a provider's long id cannot make a long key. */
const MAX_EVENT_ID_IN_KEY = 100;

/** The prefix of provider records' keys (provider-records.ts): the deployment's, with its hash tag. */
export function recordsPrefix(namespace: string): string {
  return `tide:{${namespace}}`;
}

export function stateKeys(namespace: string): StateKeys {
  const prefix = `tide:{${namespace}}`;
  return {
    targets: `${prefix}:targets`,
    seq: `${prefix}:seq`,
    exchangeOverrides: `${prefix}:exchange-overrides`,
    writes: `${prefix}:writes`,
    target: (id) => `${prefix}:target:${id}`,
    policy: (id) => `${prefix}:policy:${id}`,
    state: (id) => `${prefix}:state:${id}`,
    // `evt`, not the old `event:<target>:<event>` (ambiguous): no old key can equal a new one, so a record
    // written before the change is never misread; an event redelivered across the upgrade is decided afresh.
    event: (id, eventId) => `${prefix}:evt:${id.length}:${id}:${eventKeyPart(eventId)}`,
    audit: (id) => `${prefix}:audit:${id}`,
    results: (id) => `${prefix}:results:${id}`,
    group: (id) => `${prefix}:group:${id}`,
    signals: (id) => `${prefix}:signals:${id}`,
  };
}

function eventKeyPart(eventId: string): string {
  if (eventId.length <= MAX_EVENT_ID_IN_KEY) return eventId;
  return `sha256:${createHash('sha256').update(eventId).digest('hex')}`;
}
