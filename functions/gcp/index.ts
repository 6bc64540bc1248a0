/**
 * The Google Cloud functions (infra/gcp/main.tf): `tideEvents`, a CloudEvent function for Pub/Sub and
 * Eventarc deliveries, and `tideHttp`, the HTTP function that serves the API and the webhooks. Built into one
 * bundle; each deployment picks its entry point. The runtime is made at the first invocation of a cold start
 * and kept while warm; it carries only the Google Cloud adapters.
 */
import { readFileSync } from 'node:fs';
import { cloudEvent, http } from '@google-cloud/functions-framework';
import { actuatorAtFirstCall } from '../../adapters/ports/lazy-actuator.ts';
import { GcpClients } from '../../adapters/gcp/clients.ts';
import { gcpEndpointFromEnv } from '../../adapters/gcp/config.ts';
import { withReadableStack } from '../shell/readable-stack.ts';
import { createRuntime } from '../shell/runtime.ts';
import { createGcpHandlers, type CloudEventLike, type GcpRuntime } from './handlers.ts';
import { GCP_SOURCES } from '../../adapters/events/sources/gcp.ts';
import { NEUTRAL_SOURCES } from '../../adapters/events/sources/neutral.ts';

let made: GcpRuntime | undefined;

/** Build (once) the runtime with the Google Cloud adapters, from the environment. */
export function gcpRuntime(env: Record<string, string | undefined> = process.env): GcpRuntime {
  if (made) return made;
  try {
    const clients = new GcpClients(gcpEndpointFromEnv(env));
    // A private CA for checkpoint callbacks inside the VPC (PEM file), when their certificates are not public.
    const checkpointTls = env.TIDE_CHECKPOINT_CA_FILE ? { ca: readFileSync(env.TIDE_CHECKPOINT_CA_FILE) } : undefined;
    const runtime = createRuntime(env, {
      eventSources: [...GCP_SOURCES, ...NEUTRAL_SOURCES],
      providers: {
        // The adapters are loaded at a target's first call (dry-run and act only; shadow mode never makes one).
        gcp: (target) =>
          actuatorAtFirstCall(async () => {
            const { GcpActuator } = await import('../../adapters/gcp/actuator.ts');
            return new GcpActuator(target, { clients, env, ...(checkpointTls ? { checkpointTls } : {}) });
          }),
      },
    });
    made = { runtime, clients };
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

export const handlers = createGcpHandlers(() => gcpRuntime());

// The framework logs what is thrown with its stack: mapped to the .ts sources first, from the source maps
// beside the bundle (functions/shell/readable-stack.ts), so no --enable-source-maps slows the cold start.
cloudEvent('tideEvents', (event: unknown) =>
  handlers.onCloudEvent(event as CloudEventLike).catch((error: unknown) => {
    throw withReadableStack(error);
  }),
);

type HttpListener = ReturnType<typeof import('./http.ts').createGcpHttpListener>;
let listener: Promise<HttpListener> | undefined;
/**
 * The HTTP app over the same runtime, made at the first request. Loaded then, too (as on Azure): a `tideEvents`
 * deployment's cold start does not load the API (hono, its routes and schemas, @hono/node-server).
 */
export function gcpHttpListener(env: Record<string, string | undefined> = process.env): Promise<HttpListener> {
  listener ??= import('./http.ts')
    .then(({ createGcpHttpListener }) => createGcpHttpListener(gcpRuntime(env), env))
    .catch((error: unknown) => {
      // A runtime that could not start is tried again by the next request, as the events function does.
      listener = undefined;
      throw error;
    });
  return listener;
}

http('tideHttp', async (request, response) => (await gcpHttpListener())(request, response));
