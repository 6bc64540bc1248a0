import { randomUUID } from 'node:crypto';
import type { DecisionInput } from '../../core/schema/input.ts';
import type { Memory } from '../../core/schema/memory.ts';
import { PolicySchema, type Policy } from '../../core/schema/policy.ts';
import type { Signal } from '../../core/schema/signal.ts';
import type { ObservedCapacity, Target } from '../../core/schema/target.ts';
import type { ActuatorPort, ActuatorResolver } from '../../adapters/ports/actuator.ts';
import type { Clock } from '../../adapters/ports/clock.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import type { EventRecord, RecordedDecision, RecordedFleet, StateStore } from '../../adapters/ports/state-store.ts';
import { TargetNotFoundError } from '../../adapters/state/errors.ts';
import { loadExchangeCalendars, needsExchangeCalendars } from '../../adapters/calendars/load.ts';
import { ActionFailedError, CommitContentionError, EventInProgressError } from './errors.ts';
import { decideWithGroupSpend, memberSpendOf } from './group-spend.ts';
import { eventIdOf } from './event-id.ts';
import { reconcile, RECONCILER_SOURCE, type ActionResult, type Reconciliation } from './reconciler.ts';
import { summarizeSignal } from './signal-summary.ts';
import { decideOf, type Decide, type LazyDecide } from './decider.ts';

export { ActionFailedError, CommitContentionError, EventInProgressError } from './errors.ts';
export { eventIdOf } from './event-id.ts';

export type { Decide, LazyDecide } from './decider.ts';

export interface ShellOptions {
  /**
   * Commit attempts per delivery; a lost race re-reads and re-decides (default 6: the first re-read is at once,
   * then four pauses of 10-20, 20-40, 40-80 and 80-160 ms, 150-300 ms in all, as before the first re-read lost its
   * pause, so contention between instances gets as long to settle).
   */
  maxAttempts: number;
  /** How long the committing invocation has to execute the actions before a redelivery may, ms (default 60 s). */
  leaseMs: number;
  /**
   * First pause between attempts, ms, doubled each time and randomized (default 20: 20, 40, 80). The first lost
   * compare-and-set re-reads at once, without a pause: the state moved on because another delivery committed,
   * and that commit is already there to read. A busy outbox and repeated losses pause.
   */
  retryDelayMs: number;
  /**
   * Decisions on the reconciler's `capacity-error` signals made within one delivery, at most (default 3). A
   * capacity error is decided on at once (the core falls back to another pool); the bound keeps a cloud
   * out of capacity everywhere from chaining decisions, and the core's capacity-error cooldown stops it too.
   */
  maxFollowUps: number;
}

export interface ShellDependencies {
  store: StateStore;
  /** The core's `decide`, or loaded at the first delivery that decides (./decider.ts). */
  decide: Decide | LazyDecide;
  /**
   * The actuator port of a target (target -> port): the shell reads the capacity snapshot through it and
   * the reconciler executes the committed actions through it. Shadow mode passes a port that changes nothing.
   */
  actuators: ActuatorResolver;
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

/** What executing a decision's actions came to (the reconciler's record, and the decisions it led to). */
export interface Executed {
  /** Per action, in order: done, retryable, failed or skipped, with the error if any. */
  actions: ActionResult[];
  /** The decisions made on the capacity errors the actions met (errors as data), in order. */
  followUps: ShellResult[];
}

export type ShellResult =
  /** Decided and committed now; `acted` when there were actions and they ran (see `executed`). */
  | ({ status: 'decided'; eventId: string; decision: RecordedDecision; attempts: number; acted: boolean } & Executed)
  /** Seen before: the stored decision, nothing acted. */
  | { status: 'duplicate'; eventId: string; decision: RecordedDecision }
  /** Seen before, but its actions had not been confirmed (the earlier invocation died or failed): executed now. */
  | ({ status: 'redriven'; eventId: string; decision: RecordedDecision } & Executed)
  /** Seen before, its actions never ran, and a newer decision with actions has replaced them: nothing acted. */
  | { status: 'superseded'; eventId: string; decision: RecordedDecision };

export interface Shell {
  /**
   * Handle one delivery: load state and the event's record (one round trip), decide, commit with one
   * compare-and-set script (one round trip), then reconcile (the actions, through the target's actuator
   * port) and confirm (one more round trip, only when there are actions). Capacity errors the actions met
   * are decided on next, as signals. Throws retryable errors (`isRetryable`) when the platform should
   * deliver the event again.
   */
  handle(event: TargetSignal, options?: HandleOptions): Promise<ShellResult>;
}

/** What a caller may learn from a delivery on the way. */
export interface HandleOptions {
  /** Called with the document counter of every state load the delivery makes (ingest checks its routes with it). */
  seen?: (documentsVersion: number) => void;
}

const DEFAULTS: ShellOptions = { maxAttempts: 6, leaseMs: 60_000, retryDelayMs: 20, maxFollowUps: 3 };

let defaultPolicy: Policy | undefined;

/**
 * Owner ids of deliveries: a random id per process, then a counter. The commit script recognises its own
 * earlier attempt by this id, so it must never repeat across instances or deliveries; 122 random bits per
 * process and a counter within it keep that, for a counter step instead of a UUID per delivery (randomUUID
 * was 1.4 % of the CPU of an event in `npm run bench:function`).
 */
const OWNER_PREFIX = randomUUID();
let ownerCount = 0;
function nextOwner(): string {
  ownerCount += 1;
  return OWNER_PREFIX + ownerCount;
}

export function createShell(deps: ShellDependencies): Shell {
  const options = { ...DEFAULTS, ...deps.options };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { store, logger, clock } = deps;

  const observe = async (target: Target, actuator: ActuatorPort): Promise<ObservedCapacity | null> => {
    try {
      return await actuator.readCapacity(target.id);
    } catch (error) {
      // The core holds on a missing snapshot; a provider read failing is data, not a reason to fail the event.
      logger.warn('observe failed: deciding without a capacity snapshot', {
        targetId: target.id,
        error: (error as Error).message,
      });
      return null;
    }
  };

  /**
   * Execute committed actions through the reconciler, then close the outbox, filing the per-action results
   * under the decision's audit entry in the same write (no extra round trip). A retryable failure releases
   * the lease and throws, so the redelivery re-drives the decision at once; actions that failed for good
   * (no capacity, no such pool) close it like done ones: a redelivery would fail the same way.
   */
  const execute = async (
    target: Target,
    decision: RecordedDecision,
    actuator: ActuatorPort,
  ): Promise<Reconciliation> => {
    const { eventId } = decision;
    const reconciliation = await reconcile(decision, actuator, {
      now: clock.now(),
      source: RECONCILER_SOURCE,
      idempotencyPrefix: eventId,
    });
    for (const result of reconciliation.actions) {
      // One line per action, so a log query can count what was done and what failed, by kind and target.
      const level = result.status === 'failed' ? 'error' : result.status === 'retryable' ? 'warn' : 'info';
      logger[level]('reconcile: action', { targetId: target.id, eventId, version: decision.version, ...result });
    }
    if (reconciliation.retry) {
      // Let a redelivery re-drive at once instead of waiting out the lease.
      await store.finish(target.id, eventId, 'release', reconciliation.actions).catch((releaseError: Error) =>
        logger.warn('could not release the outbox lease; a redelivery waits for it to expire', {
          targetId: target.id,
          eventId,
          error: releaseError.message,
        }),
      );
      throw new ActionFailedError(target.id, eventId, { cause: reconciliation.error, actions: reconciliation.actions });
    }
    try {
      await store.finish(target.id, eventId, 'done', reconciliation.actions);
    } catch (error) {
      // The actions ran: asking for a redelivery now would run them twice. The outbox stays pending; a newer
      // decision with actions supersedes it once the lease expires.
      logger.error('actions executed but not confirmed in the state store', {
        targetId: target.id,
        eventId,
        error: (error as Error).message,
      });
    }
    return reconciliation;
  };

  /** A delivery of an event that already has a record. */
  const replay = async (
    targetId: string,
    target: Target | undefined,
    record: EventRecord,
    owner: string,
  ): Promise<{ result: ShellResult; signals: Signal[] } | null> => {
    const { eventId } = record.decision;
    if (record.status !== 'pending')
      return {
        result: { status: record.status === 'done' ? 'duplicate' : 'superseded', eventId, decision: record.decision },
        signals: [],
      };
    if (!target) throw new TargetNotFoundError(targetId);
    const actuator = deps.actuators(target);
    const now = clock.now();
    const claim = await store.claim(targetId, eventId, owner, now, now + options.leaseMs);
    switch (claim.status) {
      case 'claimed': {
        logger.warn('re-driving actions committed by an earlier invocation that did not confirm them', {
          targetId,
          eventId,
        });
        const reconciliation = await execute(target, record.decision, actuator);
        return {
          result: {
            status: 'redriven',
            eventId,
            decision: record.decision,
            actions: reconciliation.actions,
            followUps: [],
          },
          signals: reconciliation.signals,
        };
      }
      case 'busy':
        throw new EventInProgressError(targetId, eventId, claim.leaseUntil);
      case 'done':
        return { result: { status: 'duplicate', eventId, decision: record.decision }, signals: [] };
      case 'superseded':
        return { result: { status: 'superseded', eventId, decision: record.decision }, signals: [] };
      case 'missing':
        return null; // the record expired in between: decide it afresh
    }
  };

  /** One delivery, without its follow-ups: the result and the capacity-error signals its actions met. */
  const handleOnce = async (
    { targetId, signal }: TargetSignal,
    seen?: HandleOptions['seen'],
  ): Promise<{ result: ShellResult; signals: Signal[] }> => {
    const eventId = eventIdOf(signal);
    const owner = nextOwner();
    const summary = summarizeSignal(signal);
    let observed: ObservedCapacity | null | undefined;
    let prepared: {
      expectedVersion: number;
      memory: Memory;
      decision: RecordedDecision;
      target: Target;
      actuator: ActuatorPort;
      /** The fleet after the decision, for a port that records it (shadow mode). */
      fleet?: RecordedFleet;
    } | null = null;

    // Pauses taken (each doubles the next), and whether the next attempt re-reads at once (see retryDelayMs):
    // a pause of 10-20 ms after every lost race was most of the slowest 2 % of `npm run bench:e2e`'s events,
    // and a delivery pausing lets the target's later deliveries commit first, so it lost again.
    let pauses = 0;
    let lostRaces = 0;
    let atOnce = false;
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      if (attempt > 1 && !atOnce) {
        await sleep(options.retryDelayMs * 2 ** pauses * (0.5 + Math.random() / 2));
        pauses += 1;
      }
      atOnce = false;
      if (!prepared) {
        const snapshot = await store.load(targetId, eventId);
        seen?.(snapshot.documentsVersion);
        if (snapshot.event) {
          const replayed = await replay(targetId, snapshot.target?.value, snapshot.event, owner);
          if (replayed) return replayed;
          continue;
        }
        if (!snapshot.target) throw new TargetNotFoundError(targetId);
        const target = snapshot.target.value;
        const actuator = deps.actuators(target);
        // biome-ignore lint/suspicious/noAssignInExpressions: parsed once, for the first target without a policy
        const policy = snapshot.policy?.value ?? (defaultPolicy ??= PolicySchema.parse({}));
        const now = clock.now();
        // A fleet Tide records itself (shadow mode) comes with the state, fresh on every attempt. A cloud's is
        // observed once per delivery: a lost race re-decides on fresher memory, not on a fresher snapshot.
        const recorded = actuator.recorded?.read(snapshot.state.fleet, policy, now) ?? null;
        if (recorded) observed = recorded;
        else if (observed === undefined) observed = await observe(target, actuator);
        const input: DecisionInput = {
          now,
          signal,
          target,
          policy,
          observed,
          ...(snapshot.state.memory ? { memory: snapshot.state.memory } : {}),
          // Recorded exchange closures and the group's spend came in the same load round trip.
          ...(snapshot.exchangeOverrides ? { exchangeOverrides: snapshot.exchangeOverrides } : {}),
        };
        const decide = decideOf(deps.decide);
        // The exchanges' rules are handed to the core the first time a policy names an exchange.
        if (needsExchangeCalendars(policy)) await loadExchangeCalendars();
        const { memory, ...decided } = decideWithGroupSpend(
          typeof decide === 'function' ? decide : await decide,
          input,
          snapshot.group,
        );
        const version = snapshot.state.version;
        const decision: RecordedDecision = { ...decided, eventId, version: version + 1 };
        prepared = {
          expectedVersion: version,
          memory,
          target,
          actuator,
          decision,
          ...(actuator.recorded && observed ? { fleet: actuator.recorded.after(observed, decision) } : {}),
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
        ...(prepared.fleet ? { fleet: prepared.fleet } : {}),
        // Kept among the target's recent signals in the same write, for the policy editor's replay.
        recent: { signal, observed: observed ?? null },
        ...(prepared.target.group
          ? {
              groupSpend: {
                group: prepared.target.group,
                ...memberSpendOf(prepared.decision, prepared.memory, now),
              },
            }
          : {}),
      });
      if (result.status === 'committed') {
        const reconciliation = acting ? await execute(prepared.target, prepared.decision, prepared.actuator) : null;
        return {
          result: {
            status: 'decided',
            eventId,
            decision: prepared.decision,
            attempts: attempt,
            acted: acting,
            actions: reconciliation?.actions ?? [],
            followUps: [],
          },
          signals: reconciliation?.signals ?? [],
        };
      }
      // busy: the same decision waits for the earlier actions; duplicate or conflict: read again.
      if (result.status !== 'busy') {
        prepared = null;
        lostRaces += 1;
        atOnce = lostRaces === 1;
      }
    }
    throw new CommitContentionError(targetId, eventId, options.maxAttempts);
  };

  return {
    async handle(event, handleOptions) {
      const { result, signals } = await handleOnce(event, handleOptions?.seen);
      if (signals.length === 0 || (result.status !== 'decided' && result.status !== 'redriven')) return result;
      // Errors as data: decide on each capacity error now, so the core can fall back to another pool. The
      // event ids derive from this event's, so a re-drive meeting the same error is answered as a duplicate.
      const pending = signals.map((signal, index) => ({
        targetId: event.targetId,
        signal: { ...signal, eventId: `${result.eventId}/capacity-error/${index}` },
      }));
      let budget = options.maxFollowUps;
      while (pending.length > 0 && budget > 0) {
        budget -= 1;
        const next = pending.shift()!;
        try {
          const followed = await handleOnce(next, handleOptions?.seen);
          result.followUps.push(followed.result);
          pending.push(
            ...followed.signals.map((signal, index) => ({
              targetId: event.targetId,
              signal: { ...signal, eventId: `${followed.result.eventId}/capacity-error/${index}` },
            })),
          );
        } catch (error) {
          // This event's own decision is committed and executed; a failed follow-up must not redeliver it.
          logger.error('could not decide on a capacity error the actions met; the next signal will see it', {
            targetId: event.targetId,
            eventId: next.signal.eventId,
            error: (error as Error).message,
          });
        }
      }
      if (pending.length > 0)
        logger.warn('capacity errors left undecided: follow-up budget spent', {
          targetId: event.targetId,
          eventId: result.eventId,
          left: pending.length,
        });
      return result;
    },
  };
}
