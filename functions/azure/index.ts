/**
 * The Azure functions (infra/azure/main.json), registered with the @azure/functions v4 programming model:
 * `tideHttp` (HTTP: the API, the Azure Monitor action group webhook, Event Grid webhooks and handshakes),
 * `tideEvents` (Event Grid trigger: Azure ML run status and resource events) and `tideTick` (timer: the
 * tick). One bundle; the runtime is made at the first invocation of a cold start and kept while warm, and it
 * carries only the Azure adapters.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as AzureFunctions from '@azure/functions';
import { actuatorAtFirstCall } from '../../adapters/ports/lazy-actuator.ts';
import { AzureClients, azureClientOptionsFromEnv } from '../../adapters/azure/clients.ts';
import { createRuntime, type Runtime } from '../shell/runtime.ts';
import { serializePerTarget } from '../shell/target-queue.ts';
import { AZURE_SOURCES } from '../../adapters/events/sources/azure.ts';
import { NEUTRAL_SOURCES } from '../../adapters/events/sources/neutral.ts';
import { createAzureHandlers, type AzureRuntime } from './handlers.ts';
import { tickIntervalSeconds, tickSchedule } from './schedule.ts';

/**
 * @azure/functions is CommonJS (one 190 KB file), installed beside the bundle. Required, not imported: an ESM
 * `import` of a CommonJS module first scans its whole source for named exports (Node's cjs-module-lexer), about
 * 20 ms of a cold start here; `require` loads the same module (the same instance the worker's
 * `@azure/functions-core` hook sees) without that scan.
 */
const { app } = createRequire(import.meta.url)('@azure/functions') as typeof AzureFunctions;

let made: AzureRuntime | undefined;

/**
 * A new runtime with the Azure adapters, from the environment (the Function App's settings): what one
 * instance of the Function App makes at its cold start. Operations and Azure ML moves are recorded in its
 * state store (Redis in a deployment), so an instance started cold mid-move carries on where another stopped.
 */
export function makeAzureRuntime(env: Record<string, string | undefined>): AzureRuntime {
  const clients = new AzureClients(azureClientOptionsFromEnv(env));
  const checkpointTls = env.TIDE_CHECKPOINT_CA_FILE ? { ca: readFileSync(env.TIDE_CHECKPOINT_CA_FILE) } : undefined;
  // The closure reads the store once the runtime exists (actuators are made per event).
  const runtime: Runtime = createRuntime(env, {
    // Azure's payload formats and the neutral ones: no other cloud's parsers in the bundle.
    eventSources: [...AZURE_SOURCES, ...NEUTRAL_SOURCES],
    // The Node.js worker runs an instance's HTTP requests and Event Grid events concurrently.
    queuePerTarget: serializePerTarget,
    providers: {
      // The adapters are loaded at a target's first call (dry-run and act only; shadow mode never makes one).
      azure: (target) =>
        actuatorAtFirstCall(async () => {
          const { AzureActuator } = await import('../../adapters/azure/actuator.ts');
          return new AzureActuator(target, {
            clients,
            env,
            ...(runtime.store.records ? { operations: runtime.store.records } : {}),
            ...(checkpointTls ? { checkpointTls } : {}),
          });
        }),
    },
  });
  return { runtime, clients };
}

/** Build (once) the runtime with the Azure adapters, from the environment (the Function App's settings). */
export function azureRuntime(env: Record<string, string | undefined> = process.env): AzureRuntime {
  if (made) return made;
  try {
    made = makeAzureRuntime(env);
    return made;
  } catch (error) {
    console.error(
      JSON.stringify({
        level: 'error',
        time: new Date().toISOString(),
        message: 'tide: cannot start',
        error: (error as Error).message,
      }),
    );
    throw error;
  }
}

type HttpApp = ReturnType<typeof import('./http.ts').createAzureHttpApp>;
let httpApp: Promise<HttpApp> | undefined;
/**
 * The HTTP app over the same runtime, made at the first request. Loaded then, too: the Event Grid and timer
 * functions' cold starts do not load the API (hono, its OpenAPI schemas, the metrics registry).
 */
export function azureHttpApp(env: Record<string, string | undefined> = process.env): Promise<HttpApp> {
  httpApp ??= import('./http.ts').then(({ createAzureHttpApp }) => createAzureHttpApp(azureRuntime(env), env));
  return httpApp;
}

export const handlers = createAzureHandlers(
  () => azureRuntime(),
  () => azureHttpApp(),
);

/**
 * The tick's schedule (NCRONTAB, seconds first), from the app setting TIDE_TICK_INTERVAL_SECONDS (schedule.ts:
 * 30 s to 1 h, default every minute); a value it does not take stops the worker's start with a TickIntervalError.
 */
export const TICK_SCHEDULE = tickSchedule(tickIntervalSeconds(process.env));

app.http('tideHttp', {
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'],
  // Tide authenticates every sender itself (ingest keys, Event Grid secrets, Entra ID tokens).
  authLevel: 'anonymous',
  route: '{*path}',
  handler: handlers.http,
});

app.eventGrid('tideEvents', { handler: handlers.eventGrid });

app.timer('tideTick', {
  schedule: TICK_SCHEDULE,
  runOnStartup: false,
  useMonitor: true,
  // A retryable failure runs the tick again (twice, 10 s apart); the next tick comes anyway.
  retry: { strategy: 'fixedDelay', maxRetryCount: 2, delayInterval: { seconds: 10 } },
  handler: handlers.timer,
});
