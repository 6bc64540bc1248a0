/**
 * The shadow actuator: Tide decides on real alarms and events and changes nothing. It is an
 * {@link ActuatorPort} per target, so the shell's reconciler drives it like a cloud's: the write methods
 * record each call as one log line and change nothing (the audit log already keeps the whole decision); the
 * read side answers with the capacity Tide's own earlier decisions describe (see ./reconstruct.ts for the
 * assumption). That fleet is recorded in the target's state with every commit (`recorded`), so the shell
 * reads it from the state it loads anyway: no round trip of its own. The audit log is folded only for a
 * target without a record (state written before the record existed, or expired).
 */
import type { ObservedCapacity, Target } from '../../core/schema/target.ts';
import type { ActuatorPort, ActuatorRequest, ActuatorResolver } from '../ports/actuator.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { RecordedCapacity } from '../ports/actuator.ts';
import type { StateStore } from '../ports/state-store.ts';
import { CapacityReconstruction, capacityOfFleet, fleetAfter } from './reconstruct.ts';

/** How much of the audit log one `observe` may read (only for a target without a recorded fleet). */
export interface ShadowOptions {
  /** Decisions per audit page (the stores cap a page at 100). Default 50. */
  auditPageSize: number;
  /**
   * Pages read at most per `observe`. Default 4, so at most 200 decisions and 5 round trips (with the
   * policy read) per delivery; usually one page is enough. A one-pool target is anchored by its newest
   * decision. A pool of a several-pool target needs its newest set-capacity or change-instance-type; if
   * none is within the pages read it is taken at its starting count plus the launches and releases that
   * were read (logged as a warning).
   */
  auditMaxPages: number;
}

/** Defaults of {@link ShadowOptions}. */
export const DEFAULT_SHADOW_OPTIONS: ShadowOptions = { auditPageSize: 50, auditMaxPages: 4 };

/** The event id `observe` loads with: its record is never written (no event has it), so the load reads none. */
const OBSERVE_EVENT_ID = 'shadow-observe';

/** Dependencies of {@link createShadowActuator}. */
export interface ShadowDependencies {
  store: Pick<StateStore, 'load' | 'getPolicy' | 'readAudit'>;
  clock: Clock;
  /** Where shadow mode reports what it would have done. */
  logger: Pick<Logger, 'info' | 'warn'>;
  options?: Partial<ShadowOptions>;
}

/** Shadow mode's actuators: the port of one target, and the resolver the shell takes. */
export interface ShadowActuator {
  /** The shadow port of `target` (cheap: build one per delivery). */
  forTarget(target: Target): ActuatorPort;
  /** `forTarget` as the shell's {@link ActuatorResolver}. */
  resolver: ActuatorResolver;
}

/** Build the shadow actuator over the state store. */
export function createShadowActuator(deps: ShadowDependencies): ShadowActuator {
  const options = { ...DEFAULT_SHADOW_OPTIONS, ...deps.options };
  const { store, clock, logger } = deps;

  /** Outside the shell (the HTTP API's observe): the record, read with one load; the audit log without one. */
  const observe = async (target: Target): Promise<ObservedCapacity> => {
    const snapshot = await store.load(target.id, OBSERVE_EVENT_ID);
    if (snapshot.state.fleet)
      return capacityOfFleet(target, snapshot.state.fleet, snapshot.policy?.value.minCapacity ?? 1, clock.now());
    return fromAudit(target);
  };

  const fromAudit = async (target: Target): Promise<ObservedCapacity> => {
    const [policy, first] = await Promise.all([
      store.getPolicy(target.id),
      store.readAudit(target.id, { limit: options.auditPageSize }),
    ]);
    // A target without a policy is decided with the default policy, whose minCapacity is 1.
    const reconstruction = new CapacityReconstruction(target, policy?.value.minCapacity ?? 1);
    let page = first;
    let pages = 1;
    reconstruction.addNewestFirst(page.entries);
    while (!reconstruction.settled && page.next !== null && pages < options.auditMaxPages) {
      page = await store.readAudit(target.id, { limit: options.auditPageSize, before: page.next });
      pages += 1;
      reconstruction.addNewestFirst(page.entries);
    }
    if (!reconstruction.settled && page.next !== null) {
      logger.warn(
        'shadow: no absolute capacity change in the audit pages read; assuming the starting count for the unsettled pools',
        {
          targetId: target.id,
          pagesRead: pages,
          decisionsRead: pages * options.auditPageSize,
        },
      );
    }
    return reconstruction.snapshot(clock.now());
  };

  /**
   * One port per target document: the shell asks for one on every delivery, and a target is a cached,
   * read-only document (a new version is a new object), so its port is built once instead of nine closures
   * per event.
   */
  const ports = new WeakMap<Target, ActuatorPort>();
  const forTarget = (target: Target): ActuatorPort => {
    let port = ports.get(target);
    if (!port) {
      port = portOf(target);
      ports.set(target, port);
    }
    return port;
  };

  const portOf = (target: Target): ActuatorPort => {
    // One line per call, so a log query can count what Tide would have done, by kind and pool. The
    // idempotency key is `<eventId>:<action index>`: it ties the line to the audited decision.
    const record = (call: string, request: ActuatorRequest & { poolId?: string }): void => {
      logger.info('shadow: would act', {
        mode: 'shadow',
        targetId: target.id,
        provider: target.provider,
        call,
        ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
        request,
      });
    };
    const recorded: RecordedCapacity = {
      read: (fleet, policy, now) => (fleet ? capacityOfFleet(target, fleet, policy.minCapacity, now) : null),
      after: fleetAfter,
    };
    return {
      recorded,
      readCapacity: async () => observe(target),
      setCapacity: async (request) => record('setCapacity', request),
      changeInstanceType: async (request) => record('changeInstanceType', request),
      launchCapacity: async (request) => {
        record('launchCapacity', request);
        return []; // nothing was launched, so there are no instance ids
      },
      drainAndRelease: async (request) => record('drainAndRelease', request),
      requestCheckpoint: async (request) => record('requestCheckpoint', request),
    };
  };
  return { forTarget, resolver: forTarget };
}
