/**
 * `tideHttp`: the one HTTP app (functions/http/app.ts) served by the Azure HTTP trigger, over the same runtime
 * as `tideEvents` and `tideTick` (state store, shell, ingest). Action groups post the common alert schema to
 * `/v1/events/azure-monitor?token=<ingest key>`; Event Grid webhook subscriptions post to
 * `/v1/events/azure-eventgrid` with their secret (TIDE_EVENTGRID_SECRET, TIDE_EVENTGRID_SUBSCRIPTIONS), and
 * their validation handshake is answered there; the scheduled-events relay posts `Preempt` documents to
 * `/v1/events/azure-scheduled-events` with an ingest key.
 */
import type { ApiApp } from '../http/api-app.ts';
import { createSenderAuth, senderAuthOptionsFromEnv } from '../../adapters/auth/index.ts';
import { AzureActuator } from '../../adapters/azure/actuator.ts';
import type { AccessStore } from '../../adapters/ports/access-store.ts';
import { createAccessStore, stateConfigFromEnv } from '../../adapters/state/index.ts';
import { decide } from '../../core/decide.ts';
import type { Target } from '../../core/schema/target.ts';
import { createApiApp, type ApiEnv } from '../http/app.ts';
import { apiOptionsFromEnv } from '../http/context.ts';
import { createApiMetrics } from '../http/metrics.ts';
import type { SenderVerifier } from '../http/senders.ts';
import type { AzureRuntime } from './handlers.ts';

export function createAzureHttpApp(
  azure: AzureRuntime,
  env: Record<string, string | undefined>,
  /** The API keys' store; default one of its own on the state's backend, for the worker's life (never closed). */
  access: AccessStore = createAccessStore(stateConfigFromEnv(env)),
): ApiApp<ApiEnv> {
  const { runtime, clients } = azure;
  const metrics = createApiMetrics();
  const auth = createSenderAuth({ ...senderAuthOptionsFromEnv(env), logger: runtime.logger });
  const senders: SenderVerifier = {
    authenticate: (source, request) => auth.authenticate(source, request),
    confirmSnsSubscription: (message) => auth.confirmSnsSubscription(message),
  };
  // Status and dry runs read the cloud in every mode: a read changes nothing.
  const observe = (target: Target) =>
    target.resource?.provider === 'azure'
      ? new AzureActuator(target, { clients }).readCapacity(target.id)
      : Promise.resolve(null);
  return createApiApp({
    store: runtime.store,
    access,
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
