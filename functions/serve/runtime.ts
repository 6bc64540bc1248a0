/**
 * Everything `tide serve` runs, built once: the state store (memory, or Redis with `REDIS_URL` / the
 * Upstash variables), the access store beside it, the cloud's actuators, the shell and ingest the cloud
 * functions use, the metrics, and the HTTP app over them.
 */
import type { ApiApp } from '../http/api-app.ts';
import { decide } from '../../core/decide.ts';
import type { Target } from '../../core/schema/target.ts';
import type { AccessStore } from '../../adapters/ports/access-store.ts';
import { createSenderAuth, senderAuthOptionsFromEnv } from '../../adapters/auth/index.ts';
import type { ActuatorPort } from '../../adapters/ports/actuator.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';
import { createAccessStore, createStateStore, stateConfigFromEnv } from '../../adapters/state/index.ts';
import { trackKeyPrefixes } from '../../adapters/state/key-tracking.ts';
import { stateKeys } from '../../adapters/state/keys.ts';
import { cachedDocuments } from '../http/document-cache.ts';
import { bootstrapRecord } from '../http/api-keys.ts';
import { createApiApp, type ApiEnv, type ApiOptions } from '../http/app.ts';
import { createApiMetrics, type ApiMetrics } from '../http/metrics.ts';
import type { SenderVerifier } from '../http/senders.ts';
import { createIngest, type Ingest } from '../shell/ingest.ts';
import { ALL_SOURCES } from '../../adapters/events/sources/index.ts';
import { createJsonLogger } from '../../adapters/logger/json-logger.ts';
import { prometheusSecretsOf } from '../../adapters/prometheus/secrets.ts';
import type { Clock } from '../../adapters/ports/clock.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import { createShell, type Shell } from '../shell/shell.ts';
import { serializePerTarget } from '../shell/target-queue.ts';
import { createConsoleApp } from '../console/app.ts';
import { SimulationRunner, type SimulationLimits } from '../console/simulation-runner.ts';
import { CLOUD_FACTORIES, availableClouds, type CloudActuators, type CloudName } from './clouds.ts';

/** How serve is set up. */
export interface ServeRuntimeOptions {
  env: Record<string, string | undefined>;
  cloud: CloudName;
  clock: Clock;
  /** Seed of the simulated cloud's spot markets. */
  seed?: number;
  bootSeconds?: Record<string, number>;
  api?: Partial<ApiOptions>;
  /** Where log lines go (default stdout). */
  write?: (line: string) => void;
  /** Sender checks for signed webhooks; default: adapters/auth configured from the environment (TIDE_SNS_*, …). */
  senders?: SenderVerifier;
  /** The console's simulation limits (functions/console/simulation-runner.ts). */
  simulations?: Partial<SimulationLimits>;
}

export interface ServeRuntime {
  app: ApiApp<ApiEnv>;
  store: StateStore;
  access: AccessStore;
  shell: Shell;
  ingest: Ingest;
  cloud: CloudActuators;
  clock: Clock;
  logger: Logger;
  metrics: ApiMetrics;
  close(): Promise<void>;
}

/** A cloud was asked for whose adapters do not exist yet. */
export class CloudUnavailableError extends Error {
  override readonly name = 'CloudUnavailableError';
  constructor(readonly cloud: string) {
    super(`--cloud ${cloud} is not available yet; available: ${availableClouds().join(', ')}`);
  }
}

export async function createServeRuntime(options: ServeRuntimeOptions): Promise<ServeRuntime> {
  const factory = CLOUD_FACTORIES[options.cloud];
  if (!factory) throw new CloudUnavailableError(options.cloud);
  const { env, clock } = options;
  const secrets = [
    env.TIDE_ADMIN_KEY,
    env.UPSTASH_REDIS_REST_TOKEN,
    passwordOf(env.REDIS_URL),
    ...prometheusSecretsOf(env),
  ].filter((secret): secret is string => typeof secret === 'string' && secret.length >= 4);
  const logger = createJsonLogger({ write: options.write ?? ((line) => process.stdout.write(`${line}\n`)), secrets });
  const config = stateConfigFromEnv(env);
  const keys = stateKeys(config.options.namespace);
  const store = createStateStore(config, logger);
  // In memory the write audit is the state store's: a document write and its audit entry land in one step.
  const access = createAccessStore(config, {}, store);
  const cloud = factory({
    clock,
    env,
    seed: options.seed ?? 1,
    ...(options.bootSeconds ? { bootSeconds: options.bootSeconds } : {}),
    ...(store.records ? { records: store.records } : {}),
  });
  const metrics = createApiMetrics({ processMetrics: true });
  // A long-running server loads prom-client now: its process metrics count from the start.
  await metrics.registry();
  const observe = (target: Target) => cloud.portFor(target).readCapacity(target.id);
  // The shell observes and acts through the port; the reconciler feeds capacity errors back as signals.
  // Webhooks, the ticker and the demo hand it deliveries concurrently: one at a time per target, so they
  // queue in this process instead of losing compare-and-set races to each other (functions/shell/target-queue.ts).
  const shell = serializePerTarget(
    createShell({
      store,
      decide,
      actuators: (target) => countingPort(cloud.portFor(target), metrics),
      clock,
      logger,
    }),
  );
  // `tide serve` reads every cloud's payload formats.
  const ingest = createIngest({ store, shell, clock, logger, sources: ALL_SOURCES });
  // SNS signatures are checked out of the box (certificate from an SNS host only); Pub/Sub and Event Grid once
  // their variables are set (adapters/auth/config.ts), and refused until then.
  const senders = options.senders ?? createSenderAuth({ ...senderAuthOptionsFromEnv(env), logger });
  // On Redis over TCP, GETs of documents are answered from memory while Redis pushes every change to them.
  const tracking =
    config.backend.kind === 'redis'
      ? trackKeyPrefixes({
          url: config.backend.url,
          prefixes: [keys.target(''), keys.policy('')],
          timeoutMs: config.options.timeoutMs,
        })
      : undefined;
  const documents = tracking ? cachedDocuments(store, tracking, keys) : undefined;
  const app = createApiApp({
    store,
    ...(documents ? { documents } : {}),
    access,
    shell,
    ingest,
    observe,
    decide,
    clock,
    logger,
    metrics,
    senders,
    ...(cloud.released ? { released: cloud.released.bind(cloud) } : {}),
    ...(options.api ? { options: options.api } : {}),
  });
  // The web console at `/`, a client of the API above (functions/console/).
  // Its simulations run in worker threads (bounded), stopped when serve closes.
  const simulations = new SimulationRunner(options.simulations);
  app.route('/', createConsoleApp({ api: app, preview: { store, observe, decide, clock }, simulations }));
  if (env.TIDE_ADMIN_KEY) {
    const record = bootstrapRecord(env.TIDE_ADMIN_KEY, clock.now());
    if (!record)
      throw new Error(
        'TIDE_ADMIN_KEY must be a key made by `tide keys create` (tide_<16 hex>_<43 base64url>), was: something else',
      );
    await access.createKey(record);
  }
  return {
    app,
    store,
    access,
    shell,
    ingest,
    cloud,
    clock,
    logger,
    metrics,
    async close() {
      await Promise.allSettled([store.close(), access.close(), tracking?.close(), simulations.close()]);
    },
  };
}

/** The port with every write counted by action type (done, or failed), for `/metrics`. */
function countingPort(port: ActuatorPort, metrics: ApiMetrics): ActuatorPort {
  const counted =
    <A extends unknown[], R>(type: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        const result = await call(...args);
        metrics.actions.inc({ type });
        return result;
      } catch (error) {
        metrics.actionFailures.inc({ type });
        throw error;
      }
    };
  return {
    readCapacity: (targetId) => port.readCapacity(targetId),
    setCapacity: counted('set-capacity', (request) => port.setCapacity(request)),
    changeInstanceType: counted('change-instance-type', (request) => port.changeInstanceType(request)),
    launchCapacity: counted('launch-capacity', (request) => port.launchCapacity(request)),
    drainAndRelease: counted('drain-and-release', (request) => port.drainAndRelease(request)),
    requestCheckpoint: counted('request-checkpoint', (request) => port.requestCheckpoint(request)),
  };
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
