import { randomUUID } from 'node:crypto';
import type { Decision } from '../../core/decision.ts';
import type { DecisionInput } from '../../core/schema/input.ts';
import type { Memory } from '../../core/schema/memory.ts';
import { PolicySchema, type Policy } from '../../core/schema/policy.ts';
import type { Signal } from '../../core/schema/signal.ts';
import type { ObservedCapacity, Target } from '../../core/schema/target.ts';
import type { Clock } from '../../adapters/ports/clock.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import type { EventRecord, RecordedDecision, StateStore } from '../../adapters/ports/state-store.ts';
import { TargetNotFoundError } from '../../adapters/state/errors.ts';
import { ActionFailedError, CommitContentionError, EventInProgressError } from './errors.ts';
import { eventIdOf } from './event-id.ts';
import { summarizeSignal } from './signal-summary.ts';

export { ActionFailedError, CommitContentionError, EventInProgressError } from './errors.ts';
export { eventIdOf } from './event-id.ts';

/** Reads what the provider reports of the target's capacity; null (or a throw) when it cannot be read. */
export type Observe = (target: Target) => Promise<ObservedCapacity | null>;
/** Executes a decision's actions. Must be safe to repeat for the same `decision.eventId` (see docs/state.md). */
export type Act = (target: Target, decision: RecordedDecision) => Promise<void>;
export type Decide = (input: DecisionInput) => Decision;

export interface ShellOptions {
  /** Commit attempts per delivery; a lost race re-reads and re-decides (default 5). */
  maxAttempts: number;
  /** How long the committing invocation has to execute the actions before a redelivery may, ms (default 60 s). */
  leaseMs: number;
  /** First pause between attempts, ms, doubled each time and randomized (default 20: 20, 40, 80, 160). */
  retryDelayMs: number;
}

export interface ShellDependencies {
  store: StateStore;
  decide: Decide;
  observe: Observe;
  act: Act;
  clock: Clock;
  logger: Logger;
  options?: Partial<ShellOptions>;
  /** For tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** A signal for one target, as the event adapters produce it. */
export interface TargetSignal {
  targetId: string;
  signal: Signal;
}

export type ShellResult =
  /** Decided and committed now; `acted` when there were actions and they ran. */
  | { status: 'decided'; eventId: string; decision: RecordedDecision; attempts: number; acted: boolean }
  /** Seen before: the stored decision, nothing acted. */
  | { status: 'duplicate'; eventId: string; decision: RecordedDecision }
  /** Seen before, but its actions had not been confirmed (the earlier invocation died or failed): executed now. */
  | { status: 'redriven'; eventId: string; decision: RecordedDecision }
  /** Seen before, its actions never ran, and a newer decision with actions has replaced them: nothing acted. */
  | { status: 'superseded'; eventId: string; decision: RecordedDecision };

export interface Shell {
  /**
   * Handle one delivery: load state and the event's record (one round trip), decide, commit with one
   * compare-and-set script (one round trip), then act and confirm (one more, only when there are actions).
   * Throws retryable errors (`isRetryable`) when the platform should deliver the event again.
   */
  handle(event: TargetSignal): Promise<ShellResult>;
}

const DEFAULTS: ShellOptions = { maxAttempts: 5, leaseMs: 60_000, retryDelayMs: 20 };

let defaultPolicy: Policy | undefined;

export function createShell(deps: ShellDependencies): Shell {
  const options = { ...DEFAULTS, ...deps.options };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { store, logger, clock } = deps;

  const observe = async (target: Target): Promise<ObservedCapacity | null> => {
    try {
      return await deps.observe(target);
    } catch (error) {
      // The core holds on a missing snapshot; a provider read failing is data, not a reason to fail the event.
      logger.warn('observe failed: deciding without a capacity snapshot', {
        targetId: target.id,
        error: (error as Error).message,
      });
      return null;
    }
  };

  /** Execute committed actions, then close the outbox. */
  const execute = async (target: Target, decision: RecordedDecision): Promise<void> => {
    try {
      await deps.act(target, decision);
    } catch (error) {
      // Let a redelivery re-drive at once instead of waiting out the lease.
      await store.finish(target.id, decision.eventId, 'release').catch((releaseError: Error) =>
        logger.warn('could not release the outbox lease; a redelivery waits for it to expire', {
          targetId: target.id,
          eventId: decision.eventId,
          error: releaseError.message,
        }),
      );
      throw new ActionFailedError(target.id, decision.eventId, { cause: error });
    }
    try {
      await store.finish(target.id, decision.eventId, 'done');
    } catch (error) {
      // The actions ran: asking for a redelivery now would run them twice. The outbox stays pending; a newer
      // decision with actions supersedes it once the lease expires.
      logger.error('actions executed but not confirmed in the state store', {
        targetId: target.id,
        eventId: decision.eventId,
        error: (error as Error).message,
      });
    }
  };

  /** A delivery of an event that already has a record. */
  const replay = async (
    targetId: string,
    target: Target | undefined,
    record: EventRecord,
    owner: string,
  ): Promise<ShellResult | null> => {
    const { eventId } = record.decision;
    if (record.status !== 'pending')
      return { status: record.status === 'done' ? 'duplicate' : 'superseded', eventId, decision: record.decision };
    if (!target) throw new TargetNotFoundError(targetId);
    const now = clock.now();
    const claim = await store.claim(targetId, eventId, owner, now, now + options.leaseMs);
    switch (claim.status) {
      case 'claimed':
        logger.warn('re-driving actions committed by an earlier invocation that did not confirm them', {
          targetId,
          eventId,
        });
        await execute(target, record.decision);
        return { status: 'redriven', eventId, decision: record.decision };
      case 'busy':
        throw new EventInProgressError(targetId, eventId, claim.leaseUntil);
      case 'done':
        return { status: 'duplicate', eventId, decision: record.decision };
      case 'superseded':
        return { status: 'superseded', eventId, decision: record.decision };
      case 'missing':
        return null; // the record expired in between: decide it afresh
    }
  };

  return {
    async handle({ targetId, signal }) {
      const eventId = eventIdOf(signal);
      const owner = randomUUID();
      const summary = summarizeSignal(signal);
      let observed: ObservedCapacity | null | undefined;
      let prepared: { expectedVersion: number; memory: Memory; decision: RecordedDecision; target: Target } | null =
        null;

      for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
        if (attempt > 1) await sleep(options.retryDelayMs * 2 ** (attempt - 2) * (0.5 + Math.random() / 2));
        if (!prepared) {
          const snapshot = await store.load(targetId, eventId);
          if (snapshot.event) {
            const replayed = await replay(targetId, snapshot.target?.value, snapshot.event, owner);
            if (replayed) return replayed;
            continue;
          }
          if (!snapshot.target) throw new TargetNotFoundError(targetId);
          const target = snapshot.target.value;
          // Observed once per delivery: a lost race re-decides on fresher memory, not on a fresher snapshot.
          if (observed === undefined) observed = await observe(target);
          const input: DecisionInput = {
            now: clock.now(),
            signal,
            target,
            policy: snapshot.policy?.value ?? (defaultPolicy ??= PolicySchema.parse({})),
            observed,
            ...(snapshot.state.memory ? { memory: snapshot.state.memory } : {}),
          };
          const { memory, ...decided } = deps.decide(input);
          const version = snapshot.state.version;
          prepared = {
            expectedVersion: version,
            memory,
            target,
            decision: { ...decided, eventId, version: version + 1 },
          };
        }
        const now = clock.now();
        const acting = prepared.decision.actions.length > 0;
        const result = await store.commit(targetId, {
          eventId,
          owner,
          now,
          expectedVersion: prepared.expectedVersion,
          memory: prepared.memory,
          decision: prepared.decision,
          signal: summary,
          leaseUntil: acting ? now + options.leaseMs : null,
        });
        if (result.status === 'committed') {
          if (acting) await execute(prepared.target, prepared.decision);
          return { status: 'decided', eventId, decision: prepared.decision, attempts: attempt, acted: acting };
        }
        // busy: the same decision waits for the earlier actions; duplicate or conflict: read again.
        if (result.status !== 'busy') prepared = null;
      }
      throw new CommitContentionError(targetId, eventId, options.maxAttempts);
    },
  };
}
