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
import { createEventParser } from '../../adapters/events/parse.ts';
import type { EventRegistry } from '../../adapters/events/registry.ts';
import type {
  EventParseError,
  EventSourceName,
  Handshake,
  ParsedEvent,
  ParseOptions,
} from '../../adapters/events/index.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';
import { isRetryable } from '../../adapters/state/errors.ts';
import type { Clock } from '../../adapters/ports/clock.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import { forEachPerKey } from './per-target.ts';
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
   * How long a warm instance trusts the target list and the policies' triggers without a check, ms. Default
   * 30 000. Every state load returns the deployment's document counter (no extra round trip), and routes
   * seen to be stale are read again at once, with the deliveries the new routes add made in the same call;
   * so once the shell reports counters, this only bounds how long a signal no target takes is answered from
   * the cached routes. Before that (a shell that does not report them), routes are re-read at this age.
   */
  targetCacheTtlMs: number;
  /** Targets whose deliveries of one payload run at the same time (one target's stay in order). Default 16. */
  deliveryConcurrency: number;
  /** Targets whose policies are read at the same time when the cache is refreshed. Default 16. */
  policyReadConcurrency: number;
  /** Passed to the parser (size limit, Alertmanager annotations). */
  parse: ParseOptions;
}

/** Defaults of {@link IngestOptions}. */
export const DEFAULT_INGEST_OPTIONS: IngestOptions = {
  targetCacheTtlMs: 30_000,
  policyReadConcurrency: 16,
  deliveryConcurrency: 16,
  parse: {},
};

/** Dependencies of {@link createIngest}. */
export interface IngestDependencies {
  store: Pick<StateStore, 'listTargets' | 'getPolicy' | 'documentsVersion'>;
  shell: Shell;
  clock: Clock;
  logger: Logger;
  /**
   * The payload formats this runtime reads (a cloud's function: its own cloud's and the neutral ones,
   * adapters/events/sources/; `tide serve`: every one).
   */
  sources: EventRegistry;
  options?: Partial<IngestOptions>;
}

/**
 * Paces the deliveries of one payload against a deadline (a Lambda invocation's): asked before each delivery
 * starts, told how long each took. A delivery it refuses fails retryably without running (left for redelivery).
 */
export interface DeliveryPacer {
  /** Null to start the delivery now; otherwise the (retryable) error it fails with. */
  check(): Error | null;
  /** A delivery took `ms`. */
  took(ms: number): void;
}

/** Options of one `ingest` call: the parser's, and the pacer of its deliveries. */
export interface IngestCallOptions extends ParseOptions {
  pacer?: DeliveryPacer;
}

/** The runtime-neutral entry point. */
export interface Ingest {
  /** Parse `raw` as `format` and decide on every signal for every target it feeds. Never throws. */
  ingest(raw: unknown, format: EventSourceName | 'auto', options?: IngestCallOptions): Promise<IngestResult>;
  /** Forget the cached targets (tests, or after writing a policy from the same process). */
  invalidateTargets(): void;
  /** The payload formats it reads. */
  readonly sources: EventRegistry;
}

/** Build the ingest function; keep one per warm instance so the target cache is reused. */
export function createIngest(deps: IngestDependencies): Ingest {
  const options = { ...DEFAULT_INGEST_OPTIONS, ...deps.options };
  const { store, shell, clock, logger, sources } = deps;
  const parse = createEventParser(sources);
  /** The routes, and the document counter read before them (a load seeing another number: they are stale). */
  let cache: { targets: TriggerTarget[]; loadedAt: number; version: number } | null = null;
  /**
   * True once the shell has reported a load's document counter: from then on every load checks the routes
   * (see `deliverAll`), so they are kept until one sees a change, not re-read by age.
   */
  let versionsReported = false;

  /** The counter the cached routes were read at (a function: TypeScript narrows `cache` across awaits). */
  const routesVersion = (): number | undefined => cache?.version;

  const loadTargets = async (): Promise<TriggerTarget[]> => {
    const now = clock.now();
    if (cache && (versionsReported || now - cache.loadedAt < options.targetCacheTtlMs)) return cache.targets;
    // Read first: a write landing while the documents are read makes the counter differ at the next load.
    const version = await store.documentsVersion();
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
    cache = { targets, loadedAt: now, version };
    return targets;
  };

  /**
   * Hand every delivery to the shell: different targets side by side (at most `deliveryConcurrency`), one
   * target's deliveries in order. Skips those in `handled` and adds the rest. True when a load saw another
   * document counter than `routedAt`, the one the routes were built at.
   */
  const deliverAll = async (
    result: IngestResult,
    deliveries: readonly RoutedDelivery[],
    handled: Set<string>,
    routedAt: number | undefined,
    pacer: DeliveryPacer | undefined,
  ): Promise<boolean> => {
    let stale = false;
    const seen = (documentsVersion: number) => {
      versionsReported = true;
      if (routedAt !== undefined && documentsVersion !== routedAt) stale = true;
    };
    const todo = deliveries.filter((delivery) => !handled.has(delivery.key));
    for (const delivery of todo) handled.add(delivery.key);
    const outcomes: (DeliveryOutcome | null)[] = new Array(todo.length).fill(null);
    const indexed = todo.map((delivery, index) => ({ delivery, index }));
    await forEachPerKey(
      indexed,
      ({ delivery }) => delivery.targetId,
      options.deliveryConcurrency,
      async ({ delivery, index }) => {
        outcomes[index] = await deliverOne(result, delivery, seen, pacer);
      },
    );
    // In the payload's order, whatever order they finished in.
    for (const outcome of outcomes) if (outcome) result.decisions.push(outcome);
    return stale;
  };

  /** One delivery through the shell; its outcome, or null when it failed (recorded in `result.failures`). */
  const deliverOne = async (
    result: IngestResult,
    { targetId, signal, at }: RoutedDelivery,
    seen: (documentsVersion: number) => void,
    pacer: DeliveryPacer | undefined,
  ): Promise<DeliveryOutcome | null> => {
    try {
      const refused = pacer?.check();
      if (refused) throw refused;
      const started = clock.now();
      const handled = await shell.handle({ targetId, signal }, { seen });
      pacer?.took(clock.now() - started);
      const { decision } = handled;
      const outcome: DeliveryOutcome = {
        targetId,
        eventId: handled.eventId,
        status: handled.status,
        outcome: decision.outcome,
        currentCapacity: decision.currentCapacity,
        desiredCapacity: decision.desiredCapacity,
        actions: decision.actions.length,
        ...at,
      };
      // One line per decision, so a log query can follow a target without reading the audit log.
      logger.info('ingest: decided', {
        ...outcome,
        signal: signal.kind,
        holds: decision.holds.map((hold) => hold.rule),
      });
      return outcome;
    } catch (error) {
      // Keep going: the other deliveries are independent, and a redelivery skips those that landed.
      logger[isRetryable(error) ? 'warn' : 'error']('ingest: delivery failed', {
        targetId,
        eventId: signal.eventId,
        ...at,
        error: errorMessage(error),
        retryable: isRetryable(error),
      });
      pushFailure(result, error, {
        targetId,
        ...(signal.eventId === undefined ? {} : { eventId: signal.eventId }),
        ...at,
      });
      return null;
    }
  };

  return {
    sources,
    invalidateTargets() {
      cache = null;
    },

    async ingest(raw, format, callOptions) {
      const { pacer, ...parseOptions } = callOptions ?? {};
      // A registry with parsers loaded on demand (the HTTP API's webhooks) loads this format's now, once.
      const loading = sources.ready(format);
      if (loading) {
        try {
          await loading;
        } catch (error) {
          logger.error('ingest: the parser could not be loaded; the sender delivers again', {
            format,
            error: errorMessage(error),
          });
          return {
            ...emptyResult(format),
            failures: {
              nonRetryable: [],
              retryable: [{ error: { name: 'ParserLoadError', message: errorMessage(error) } }],
            },
          };
        }
      }
      const parsed = parse(raw, format, { receivedAt: clock.now(), ...options.parse, ...parseOptions });
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

      // Route with the cached targets, then check the routes against the document counter every load
      // returns (same round trip): if a target or policy changed since they were read, read them again and
      // deliver to the targets the new routes add. Signals nothing takes are checked too once the routes
      // are older than the TTL, so a new target's first events are not dropped.
      const handled = new Set<string>();
      let routes = route(withSignals, targets);
      const stale = await deliverAll(result, routes.deliveries, handled, routesVersion(), pacer);
      const unmatchedCheck =
        routes.unmatched.length > 0 && (!cache || clock.now() - cache.loadedAt >= options.targetCacheTtlMs);
      if (stale || unmatchedCheck) {
        cache = null;
        try {
          targets = await loadTargets();
          routes = route(withSignals, targets);
          // Once per payload: a change seen by these loads waits for the next payload.
          await deliverAll(result, routes.deliveries, handled, routesVersion(), pacer);
        } catch (error) {
          logger.warn('ingest: could not read the changed targets again; routed with the ones read before', {
            error: errorMessage(error),
          });
        }
      }
      for (const { signal, route: signalRoute, at } of routes.unmatched) {
        const item: UnmatchedSignal = { kind: signal.kind, source: signal.source, ...at };
        if (signal.eventId !== undefined) item.eventId = signal.eventId;
        if (signalRoute.alarmName !== undefined) item.alarmName = signalRoute.alarmName;
        result.unmatched.push(item);
        logger.info('ingest: no target takes this signal; acknowledged', {
          ...item,
          dimensions: signalRoute.dimensions,
        });
      }
      return finish(result, event);
    },
  };
}

/** A delivery with where it came from: `key` names it within the payload (record, signal, target). */
interface RoutedDelivery {
  key: string;
  targetId: string;
  signal: Signal;
  at: { itemIdentifier?: string };
}

/** Route every unit's signals: the deliveries in the payload's order, and the signals no target takes. */
function route(units: readonly { itemIdentifier?: string; signals: RoutableSignal[] }[], targets: TriggerTarget[]) {
  const deliveries: RoutedDelivery[] = [];
  const unmatched: (RoutableSignal & { at: { itemIdentifier?: string } })[] = [];
  units.forEach((unit, u) => {
    const at = unit.itemIdentifier === undefined ? {} : { itemIdentifier: unit.itemIdentifier };
    unit.signals.forEach((routable, s) => {
      const found = routeSignals(targets, [routable]);
      if (found.unmatched.length > 0) unmatched.push({ ...routable, at });
      for (const delivery of found.deliveries)
        deliveries.push({
          key: `${u}/${s}/${delivery.targetId}`,
          targetId: delivery.targetId,
          signal: delivery.signal,
          at,
        });
    });
  });
  return { deliveries, unmatched };
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
