/**
 * What a cloud function needs, built once per cold start from the environment: the logger, the state
 * store, the actuator for the mode, the shell and the ingest function. Every runtime adapter
 * (functions/aws, GCP and Azure) calls `createRuntime` (./runtime.ts) once and reuses the result while warm;
 * this module builds it from a given `decide`, and does not import the core's, so that a function can hand in
 * one loaded at its first use (the AWS HTTP API, ./decider.ts).
 */
import { enum as zenum, object, type infer as Infer } from 'zod';
import { parseDocument } from '../../core/errors.ts';
import { createShadowActuator, type ShadowOptions } from '../../adapters/shadow/index.ts';
import { dryRunResolver } from '../../adapters/shadow/dry-run-actuator.ts';
import { actuatorsByProvider, type ActuatorPort, type ActuatorResolver } from '../../adapters/ports/actuator.ts';
import type { Provider, Target } from '../../core/schema/target.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';
import { createStateStoreFromEnv } from '../../adapters/state/index.ts';
import { urlCredentials } from '../../adapters/state/config.ts';
import { createIngest, type Ingest, type IngestOptions } from './ingest.ts';
import { eventRegistry, type EventSource, type LazyEventSource } from '../../adapters/events/registry.ts';
import { systemClock, type Clock } from '../../adapters/ports/clock.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import { createShell, type Shell } from './shell.ts';
import type { Decide, LazyDecide } from './decider.ts';
import { createJsonLogger } from '../../adapters/logger/json-logger.ts';
import { prometheusSecretsOf } from '../../adapters/prometheus/secrets.ts';

/**
 * The modes Tide runs in: `shadow` decides on real events and reads and changes nothing in the cloud;
 * `dry-run` reads the cloud through the provider adapters and logs every write it would make; `act` acts.
 */
export const TIDE_MODES = ['shadow', 'dry-run', 'act'] as const;

/** The runtime's own environment (the state store's is validated by adapters/state/config.ts). */
export const RuntimeEnvSchema = object({
  /** `shadow`, `dry-run` or `act`. Required, so no deployment acts by accident. */
  TIDE_MODE: zenum(TIDE_MODES),
});
export type RuntimeEnv = Infer<typeof RuntimeEnvSchema>;

/** A configuration error at start: the message names the variable and the value it got. */
export class RuntimeConfigError extends Error {
  override readonly name = 'RuntimeConfigError';
  /** A bad deployment does not get better by redelivering events. */
  readonly retryable = false;
}

/** Everything built at a cold start. */
export interface Runtime {
  mode: RuntimeEnv['TIDE_MODE'];
  logger: Logger;
  store: StateStore;
  shell: Shell;
  ingest: Ingest;
  clock: Clock;
  /** The actuator port per target the shell uses (the HTTP API reads capacity through it). */
  actuators: ActuatorResolver;
}

/** Overrides for tests and for embedding (a store built elsewhere, a fixed clock, captured log lines). */
export interface RuntimeOverrides {
  store?: StateStore;
  clock?: Clock;
  /** Where log lines go; default standard output (one JSON object per line: CloudWatch Logs parses it). */
  write?: (line: string) => void;
  ingest?: Partial<IngestOptions>;
  shadow?: Partial<ShadowOptions>;
  /**
   * The payload formats this function reads, in detection order: its own cloud's and the neutral ones
   * (adapters/events/sources/), so it bundles no other cloud's parsers. Lazy ones are loaded by the first
   * payload of their format (the HTTP API's webhooks: functions/aws/lazy-sources.ts).
   */
  eventSources: readonly (EventSource | LazyEventSource)[];
  /**
   * The provider adapters this function carries, one factory per cloud (each cloud's function bundles only
   * its own SDK clients). Used in `dry-run` (reads only) and `act`; shadow mode needs none.
   */
  providers?: Partial<Record<Provider, (target: Target) => ActuatorPort>>;
  /**
   * `serializePerTarget` of ./target-queue.ts, where the platform runs several invocations at once in one
   * process (Azure Functions' Node.js worker: a Flex Consumption instance takes many HTTP requests and Event
   * Grid events at a time): deliveries for one target then queue in the process instead of racing each
   * other's compare-and-set commit; other instances still race it, and the shell's bounded retries settle
   * those. Unset: one invocation per instance (Lambda; the Google Cloud functions as infra/gcp deploys them),
   * and the functions that do not need the queue do not bundle it.
   */
  queuePerTarget?: (shell: Shell) => Shell;
}

/**
 * Validate the environment and build the dependencies around `decide`. Throws {@link RuntimeConfigError} on a
 * bad `TIDE_MODE`, and the state layer's `ValidationError` on a bad state variable, both naming the value.
 */
export function createRuntimeWith(
  decide: Decide | LazyDecide,
  env: Record<string, string | undefined>,
  overrides: RuntimeOverrides,
): Runtime {
  const logger = createJsonLogger({ secrets: secretsOf(env), ...(overrides.write ? { write: overrides.write } : {}) });
  const mode = env.TIDE_MODE;
  if (mode === undefined || mode === '') {
    throw new RuntimeConfigError(`TIDE_MODE is required; expected one of ${TIDE_MODES.join(', ')}, was: unset`);
  }
  const parsed = parseDocument(RuntimeEnvSchema, { TIDE_MODE: mode }, 'runtime environment');
  if (!parsed.ok) {
    throw new RuntimeConfigError(`TIDE_MODE must be one of ${TIDE_MODES.join(', ')}, was: ${JSON.stringify(mode)}`);
  }
  const providers = overrides.providers ?? {};
  if (parsed.value.TIDE_MODE !== 'shadow' && Object.keys(providers).length === 0) {
    throw new RuntimeConfigError(
      `TIDE_MODE=${parsed.value.TIDE_MODE} needs a provider adapter and this function carries none; use shadow, was: ${JSON.stringify(mode)}`,
    );
  }
  const clock = overrides.clock ?? systemClock;
  const store = overrides.store ?? createStateStoreFromEnv(env, logger);
  const shadow = createShadowActuator({
    store,
    clock,
    logger,
    ...(overrides.shadow ? { options: overrides.shadow } : {}),
  });
  const actuators =
    parsed.value.TIDE_MODE === 'shadow'
      ? shadow.resolver
      : parsed.value.TIDE_MODE === 'dry-run'
        ? dryRunResolver(actuatorsByProvider(providers), logger)
        : actuatorsByProvider(providers);
  const decided = createShell({ store, decide, actuators, clock, logger });
  const shell = overrides.queuePerTarget ? overrides.queuePerTarget(decided) : decided;
  const ingest = createIngest({
    store,
    shell,
    clock,
    logger,
    sources: eventRegistry(overrides.eventSources),
    ...(overrides.ingest ? { options: overrides.ingest } : {}),
  });
  logger.info('tide runtime ready', { mode: parsed.value.TIDE_MODE, store: store.kind });
  return { mode: parsed.value.TIDE_MODE, logger, store, shell, ingest, clock, actuators };
}

/** Values that must never reach a log line: the Upstash token, a Redis URL's credentials, sender secrets. */
export function secretsOf(env: Record<string, string | undefined>): string[] {
  const secrets: string[] = [];
  for (const name of ['UPSTASH_REDIS_REST_TOKEN', 'TIDE_EVENTGRID_SECRET']) if (env[name]) secrets.push(env[name]);
  secrets.push(...prometheusSecretsOf(env));
  for (const name of ['REDIS_URL', 'UPSTASH_REDIS_REST_URL']) {
    // Found by string search, so a URL too malformed to parse still has its password hidden.
    const userinfo = urlCredentials(env[name] ?? '');
    if (!userinfo) continue;
    const password = userinfo.slice(userinfo.indexOf(':') + 1);
    secrets.push(userinfo, password);
    try {
      secrets.push(decodeURIComponent(password));
    } catch {
      // not percent-encoded
    }
  }
  return secrets.filter((secret) => secret.length >= 4);
}
