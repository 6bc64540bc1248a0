/**
 * One payload in, every decision it causes out, for any runtime: parse (adapters/events), route each signal
 * to the targets whose triggers take it (core/triggers), and run the shell for every delivery. The runtime
 * adapters (functions/aws, later GCP and Azure) only unwrap their event and map the result back: bad input
 * to HTTP 400 or a dead-letter, retryable failures to "deliver again".
 *
 * Nothing here acts twice: every delivery goes through `shell.handle`, whose idempotency record answers a
 * redelivered event with the stored decision.
 */
import type { Signal } from '../../core/schema/signal.ts';
import type { RoutableSignal, TriggerTarget } from '../../core/triggers/match.ts';
import { routeSignals } from '../../core/triggers/match.ts';
import {
  parseEvent,
  type EventParseError,
  type EventSourceName,
  type Handshake,
  type ParsedEvent,
  type ParseOptions,
} from '../../adapters/events/index.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';
import { isRetryable } from '../../adapters/state/errors.ts';
import type { Clock } from '../../adapters/ports/clock.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import type { Shell, ShellResult } from './shell.ts';

/** What one delivery (a signal for a target) came to. */
export interface DeliveryOutcome {
  targetId: string;
  eventId: string;
  /** The shell's status: `decided` now, or `duplicate`/`redriven`/`superseded` for a seen event. */
  status: ShellResult['status'];
  outcome: ShellResult['decision']['outcome'];
  currentCapacity: number;
  desiredCapacity: number;
  actions: number;
  /** The SQS record the signal came in, for batches. */
  itemIdentifier?: string;
}

/** A signal no target's triggers take: acknowledged and logged, not an error. */
export interface UnmatchedSignal {
  kind: string;
  source: string;
  eventId?: string;
  alarmName?: string;
  itemIdentifier?: string;
}

/** Something that failed, with enough to find it in the logs. */
export interface IngestFailure {
  /** The SQS record, for batches. */
  itemIdentifier?: string;
  targetId?: string;
  eventId?: string;
  error: { name: string; message: string; code?: string; path?: string };
}

/** What ingesting one payload gave. */
export interface IngestResult {
  /** The payload format read (the format asked for when it could not be read). */
  source: string;
  eventId?: string;
  decisions: DeliveryOutcome[];
  unmatched: UnmatchedSignal[];
  failures: {
    /** Bad input or a fault no retry fixes: HTTP 400, or the dead-letter queue. */
    nonRetryable: IngestFailure[];
    /** The state store was down, a commit lost every race, an action failed: deliver the event again. */
    retryable: IngestFailure[];
  };
  /**
   * For SQS batches: every record that failed, retryably or not, as Lambda's partial batch response wants
   * them. Lambda redelivers these alone; after the queue's `maxReceiveCount` they go to the dead-letter queue.
   */
  batchItemFailures?: { itemIdentifier: string }[];
  /** The reply the sender waits for (Event Grid validation, SNS subscription confirmation), if it asked. */
  handshake?: Handshake;
  notes: string[];
  /** The kinds of every signal the payload carried (a runtime runs its tick work on `schedule-tick`). */
  signalKinds: Signal['kind'][];
}

/** How ingest is tuned. */
export interface IngestOptions {
  /**
   * How long a warm instance keeps the target list and the policies' triggers, ms. Default 30 000: a new
   * target or an edited trigger takes effect within 30 s, and a busy function reads the list (one call
   * plus one per target) twice a minute instead of on every event.
   */
  targetCacheTtlMs: number;
  /** Targets whose policies are read at the same time when the cache is refreshed. Default 16. */
  policyReadConcurrency: number;
  /** Passed to `parseEvent` (size limit, Alertmanager annotations). */
  parse: ParseOptions;
}

/** Defaults of {@link IngestOptions}. */
export const DEFAULT_INGEST_OPTIONS: IngestOptions = { targetCacheTtlMs: 30_000, policyReadConcurrency: 16, parse: {} };

/** Dependencies of {@link createIngest}. */
export interface IngestDependencies {
  store: Pick<StateStore, 'listTargets' | 'getPolicy'>;
  shell: Shell;
  clock: Clock;
  logger: Logger;
  options?: Partial<IngestOptions>;
}

/** The runtime-neutral entry point. */
export interface Ingest {
  /** Parse `raw` as `format` and decide on every signal for every target it feeds. Never throws. */
  ingest(raw: unknown, format: EventSourceName | 'auto', options?: ParseOptions): Promise<IngestResult>;
  /** Forget the cached targets (tests, or after writing a policy from the same process). */
  invalidateTargets(): void;
}

/** Build the ingest function; keep one per warm instance so the target cache is reused. */
export function createIngest(deps: IngestDependencies): Ingest {
  const options = { ...DEFAULT_INGEST_OPTIONS, ...deps.options };
  const { store, shell, clock, logger } = deps;
  let cache: { targets: TriggerTarget[]; loadedAt: number } | null = null;

  const loadTargets = async (): Promise<TriggerTarget[]> => {
    const now = clock.now();
    if (cache && now - cache.loadedAt < options.targetCacheTtlMs) return cache.targets;
    const ids = await store.listTargets();
    const targets: TriggerTarget[] = [];
    for (let i = 0; i < ids.length; i += options.policyReadConcurrency) {
      const chunk = ids.slice(i, i + options.policyReadConcurrency);
      const policies = await Promise.all(chunk.map((id) => store.getPolicy(id)));
      chunk.forEach((targetId, j) => {
        const triggers = policies[j]?.value.triggers ?? [];
        // A target without triggers (or without a policy) takes no events: nothing to route to.
        if (triggers.length > 0) targets.push({ targetId, triggers });
      });
    }
    cache = { targets, loadedAt: now };
    return targets;
  };

  return {
    invalidateTargets() {
      cache = null;
    },

    async ingest(raw, format, parseOptions) {
      const parsed = parseEvent(raw, format, { receivedAt: clock.now(), ...options.parse, ...parseOptions });
      if (!parsed.ok) {
        logger.warn('ingest: bad input, not retried', { format, error: parsed.error.toJSON() });
        return {
          ...emptyResult(format),
          failures: { nonRetryable: [{ error: describeParseError(parsed.error) }], retryable: [] },
        };
      }
      const event = parsed.event;
      const result: IngestResult = { ...emptyResult(event.source), eventId: event.eventId, notes: [...event.notes] };
      if (event.handshake) result.handshake = event.handshake;
      // Each SQS record is its own unit: it fails, and is redelivered, alone.
      const units: { itemIdentifier?: string; signals: RoutableSignal[] }[] = event.batch
        ? event.batch.records.flatMap((record) =>
            record.ok ? [{ itemIdentifier: record.itemIdentifier, signals: record.event.signals }] : [],
          )
        : [{ signals: event.signals }];
      for (const record of event.batch?.records ?? []) {
        if (record.ok) continue;
        logger.warn('ingest: bad SQS record, reported as a batch item failure', {
          itemIdentifier: record.itemIdentifier,
          error: record.error.toJSON(),
        });
        result.failures.nonRetryable.push({
          itemIdentifier: record.itemIdentifier,
          error: describeParseError(record.error),
        });
      }

      result.signalKinds = [...new Set(units.flatMap((unit) => unit.signals.map(({ signal }) => signal.kind)))];
      const withSignals = units.filter((unit) => unit.signals.length > 0);
      let targets: TriggerTarget[] = [];
      if (withSignals.length > 0) {
        try {
          targets = await loadTargets();
        } catch (error) {
          // Without the targets nothing can be routed: every unit with signals must come again.
          logger.error('ingest: could not load the targets', {
            error: errorMessage(error),
            retryable: isRetryable(error),
          });
          for (const unit of withSignals)
            pushFailure(
              result,
              error,
              unit.itemIdentifier === undefined ? {} : { itemIdentifier: unit.itemIdentifier },
            );
          return finish(result, event);
        }
      }

      for (const unit of withSignals) {
        const at = unit.itemIdentifier === undefined ? {} : { itemIdentifier: unit.itemIdentifier };
        const { deliveries, unmatched } = routeSignals(targets, unit.signals);
        for (const { signal, route } of unmatched) {
          const item: UnmatchedSignal = { kind: signal.kind, source: signal.source, ...at };
          if (signal.eventId !== undefined) item.eventId = signal.eventId;
          if (route.alarmName !== undefined) item.alarmName = route.alarmName;
          result.unmatched.push(item);
          logger.info('ingest: no target takes this signal; acknowledged', { ...item, dimensions: route.dimensions });
        }
        // One delivery at a time: deliveries for the same target then reach the shell in the event's order.
        for (const delivery of deliveries) {
          const { signal } = delivery;
          try {
            const handled = await shell.handle({ targetId: delivery.targetId, signal: delivery.signal });
            const { decision } = handled;
            const outcome: DeliveryOutcome = {
              targetId: delivery.targetId,
              eventId: handled.eventId,
              status: handled.status,
              outcome: decision.outcome,
              currentCapacity: decision.currentCapacity,
              desiredCapacity: decision.desiredCapacity,
              actions: decision.actions.length,
              ...at,
            };
            result.decisions.push(outcome);
            // One line per decision, so a log query can follow a target without reading the audit log.
            logger.info('ingest: decided', {
              ...outcome,
              signal: signal.kind,
              holds: decision.holds.map((hold) => hold.rule),
            });
          } catch (error) {
            // Keep going: the other deliveries are independent, and a redelivery skips those that landed.
            logger[isRetryable(error) ? 'warn' : 'error']('ingest: delivery failed', {
              targetId: delivery.targetId,
              eventId: delivery.signal.eventId,
              ...at,
              error: errorMessage(error),
              retryable: isRetryable(error),
            });
            pushFailure(result, error, {
              targetId: delivery.targetId,
              ...(delivery.signal.eventId === undefined ? {} : { eventId: delivery.signal.eventId }),
              ...at,
            });
          }
        }
      }
      return finish(result, event);
    },
  };
}

function emptyResult(source: string): IngestResult {
  return {
    source,
    decisions: [],
    unmatched: [],
    failures: { nonRetryable: [], retryable: [] },
    notes: [],
    signalKinds: [],
  };
}

/** Fill in the SQS batch item failures: each failed record once. */
function finish(result: IngestResult, event: ParsedEvent): IngestResult {
  if (event.batch) {
    const failed = new Set(
      [...result.failures.nonRetryable, ...result.failures.retryable].flatMap((f) =>
        f.itemIdentifier === undefined ? [] : [f.itemIdentifier],
      ),
    );
    // In the batch's order, so the report reads like the batch.
    result.batchItemFailures = event.batch.records
      .filter((record) => failed.has(record.itemIdentifier))
      .map(({ itemIdentifier }) => ({ itemIdentifier }));
  }
  return result;
}

function pushFailure(result: IngestResult, error: unknown, where: Omit<IngestFailure, 'error'>): void {
  const failure: IngestFailure = {
    ...where,
    error: { name: (error as Error)?.name ?? 'Error', message: errorMessage(error) },
  };
  (isRetryable(error) ? result.failures.retryable : result.failures.nonRetryable).push(failure);
}

function describeParseError(error: EventParseError): IngestFailure['error'] {
  return { name: error.name, message: error.reason, code: error.code, path: error.path };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
