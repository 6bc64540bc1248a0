/**
 * `tideHttp`: the one HTTP app (functions/http/app.ts) served by the Google Cloud HTTP function, over the same
 * runtime as `tideEvents` (state store, shell, ingest). The Cloud Monitoring webhook channel posts to
 * `/v1/events/gcp-monitoring` with its basic auth or `?token=` (an `ingest` key); Pub/Sub pushes are checked
 * by their OIDC token (TIDE_PUBSUB_AUDIENCE, TIDE_PUBSUB_SERVICE_ACCOUNTS).
 */
import { getRequestListener } from '@hono/node-server';
import type { ApiApp } from '../http/api-app.ts';
import { createSenderAuth, senderAuthOptionsFromEnv } from '../../adapters/auth/index.ts';
import { GcpActuator } from '../../adapters/gcp/actuator.ts';
import { createAccessStore, stateConfigFromEnv } from '../../adapters/state/index.ts';
import { decide } from '../../core/decide.ts';
import type { Target } from '../../core/schema/target.ts';
import { createApiApp, type ApiEnv } from '../http/app.ts';
import { apiOptionsFromEnv } from '../http/context.ts';
import { createApiMetrics } from '../http/metrics.ts';
import type { SenderVerifier } from '../http/senders.ts';
import type { GcpRuntime } from './handlers.ts';

export function createGcpHttpApp(gcp: GcpRuntime, env: Record<string, string | undefined>): ApiApp<ApiEnv> {
  const { runtime, clients } = gcp;
  const metrics = createApiMetrics();
  const auth = createSenderAuth({ ...senderAuthOptionsFromEnv(env), logger: runtime.logger });
  const senders: SenderVerifier = {
    authenticate: (source, request) => auth.authenticate(source, request),
    confirmSnsSubscription: (message) => auth.confirmSnsSubscription(message),
  };
  // Status and dry runs read the cloud in every mode: a read changes nothing.
  const observe = (target: Target) =>
    target.resource?.provider === 'gcp'
      ? new GcpActuator(target, { clients }).readCapacity(target.id)
      : Promise.resolve(null);
  return createApiApp({
    store: runtime.store,
    access: createAccessStore(stateConfigFromEnv(env), {}, runtime.store),
    shell: runtime.shell,
    ingest: runtime.ingest,
    observe,
    decide,
    clock: runtime.clock,
    logger: runtime.logger,
    metrics,
    senders,
    options: apiOptionsFromEnv(env),
  });
}

/** `tideHttp`'s listener. The framework has read the body already; @hono/node-server takes it from `rawBody`. */
export function createGcpHttpListener(gcp: GcpRuntime, env: Record<string, string | undefined>) {
  const app = createGcpHttpApp(gcp, env);
  return getRequestListener((request) => app.fetch(request));
}
