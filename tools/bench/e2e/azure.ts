/**
 * The Azure mode of `npm run bench:e2e`: `tideHttp`'s handler (the @azure/functions v4 HttpRequest in, the
 * hono app, ingest, decide, commit, reconcile) in act mode over a loopback redis-server, the Azure adapters
 * with the real @azure/arm-compute client, and the local HTTPS ARM endpoint of test/support/azure-fake.ts as
 * the cloud. One event = one Azure Monitor common-alert-schema metric alert posted by an action group (with
 * an ingest key) for one of the scale-set targets; the clock is real. What is timed is handler entry to its
 * return, which includes the provider calls (virtualMachineScaleSets.get, the instance list, the PATCH of the
 * capacity) and their answers; operations are started, not waited on, and recorded in Redis, as in the function. The fake cloud
 * (./azure-fake.ts) runs in a child process of its own (./fake.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import azf from '@azure/functions';
import { AzureActuator } from '../../../adapters/azure/actuator.ts';
import { AzureClients, instanceListMaxAgeFromEnv } from '../../../adapters/azure/clients.ts';
import { createAccessStore, stateConfigFromEnv } from '../../../adapters/state/index.ts';
import { TargetSchema } from '../../../core/schema/target.ts';
import { createAzureHandlers } from '../../../functions/azure/handlers.ts';
import { createAzureHttpApp } from '../../../functions/azure/http.ts';
import { generateApiKey } from '../../../functions/http/api-keys.ts';
import { createRuntime, type Runtime } from '../../../functions/shell/runtime.ts';
import { serializePerTarget } from '../../../functions/shell/target-queue.ts';
import { RESOURCE_GROUP, SUBSCRIPTION } from '../../../test/support/azure-fake.ts';
import { startRedisServer } from '../../../test/support/redis-server.ts';
import type { E2eCloud } from './types.ts';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';
import { ActedEvents } from './acted.ts';
import { cpuUsOf, startFake } from './fake.ts';
import { benchPolicy, demandOf, TARGETS, targetOf } from './workload.ts';

const { HttpRequest, InvocationContext } = azf;

export const azureE2e: E2eCloud = {
  name: 'azure',
  async start(options) {
    const [fake, redis] = await Promise.all([startFake('azure', options.fakeInProcess), startRedisServer()]);
    // One ingest key sends every event, far over the default 6000 requests per minute per key: the bench measures
    // the path, not the limiter (TIDE_RATE_LIMIT set by the caller still wins).
    const env = {
      TIDE_RATE_LIMIT: '100000000',
      ...process.env,
      TIDE_MODE: 'act',
      REDIS_URL: redis.url,
      TIDE_DEPLOYMENT: `bench-${Date.now()}`,
    };
    // TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS as the function reads it (0: every event lists the instances), or
    // 0 with --reads-per-event.
    const maxAge = options.readsPerEvent ? 0 : instanceListMaxAgeFromEnv(process.env);
    const clients = new AzureClients({
      ...(maxAge === undefined ? {} : { instanceListMaxAgeMs: maxAge }),
      endpoint: fake.url,
      ca: fake.ca!,
      credential: { getToken: async () => ({ token: 'bench', expiresOnTimestamp: Date.now() + 3_600_000 }) },
    });
    const acted = new ActedEvents();
    // As functions/azure/index.ts makes them: operations recorded in the state store (Redis), not in the process.
    const runtime: Runtime = createRuntime(env, {
      eventSources: EVENT_SOURCES,
      providers: {
        azure: acted.watchAll(
          (target) =>
            new AzureActuator(target, {
              clients,
              env,
              ...(runtime.store.records ? { operations: runtime.store.records } : {}),
            }),
        ),
      },
      // As functions/azure/index.ts makes it: the worker runs an instance's invocations concurrently.
      queuePerTarget: serializePerTarget,
      write: () => {},
    });
    for (let i = 0; i < TARGETS; i++) {
      await runtime.store.putTarget(
        TargetSchema.parse({
          id: `bench-${i}`,
          kind: 'inference-endpoint',
          provider: 'azure',
          pools: [{ id: 'serve', instanceType: 'Standard_NC24ads_A100_v4' }],
          resource: {
            provider: 'azure',
            subscriptionId: SUBSCRIPTION,
            pools: { serve: { kind: 'vmss', resourceGroup: RESOURCE_GROUP, name: `vmss-${i}` } },
          },
        }),
      );
      await runtime.store.putPolicy(`bench-${i}`, benchPolicy('azure-monitor', `cpu-${i}`));
    }
    const { key, record } = generateApiKey(['ingest'], 'bench-action-group', Date.now());
    // The app's key store is the bench's, closed in stop(): left to the app, its Redis client outlived the
    // redis-server and reconnected forever, so the bench printed its figures and never exited.
    const access = createAccessStore(stateConfigFromEnv(env));
    await access.createKey(record);
    const app = createAzureHttpApp({ runtime, clients }, env, access);
    const handlers = createAzureHandlers(
      () => ({ runtime, clients }),
      async () => app,
    );
    const alert = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '../../../test/fixtures/events/azure/monitor-metric-alert-fired.json'),
        'utf8',
      ),
    );
    let sequence = 0;
    return {
      async invoke(i) {
        const id = `bench-${sequence++}`;
        const body = structuredClone(alert);
        body.data.essentials.alertId = `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.AlertsManagement/alerts/${id}`;
        body.data.essentials.alertRule = `cpu-${targetOf(i)}`;
        body.data.essentials.firedDateTime = new Date().toISOString();
        body.data.alertContext.condition.allOf[0].metricValue = demandOf(i, options.holdEvents);
        const response = await handlers.http(
          new HttpRequest({
            method: 'POST',
            url: `https://tide.azurewebsites.net/v1/events/azure-monitor?token=${key}`,
            headers: { 'content-type': 'application/json' },
            query: { token: key },
            body: { string: JSON.stringify(body) },
          }),
          new InvocationContext({ invocationId: id, functionName: 'tideHttp' }),
        );
        if (response.status !== 200) throw new Error(`tideHttp answered ${response.status}`);
      },
      fake,
      actedEvents: () => acted.count,
      otherCpuUs: async () => ({ redis: cpuUsOf(redis.pid) }),
      setup: {
        fake: options.fakeInProcess ? 'in the bench process (its CPU counts in bench)' : 'child process',
        instanceListMaxAgeMs: String(maxAge ?? 'default'),
      },
      async stop() {
        await Promise.all([runtime.store.close(), access.close()]);
        await Promise.all([fake.close(), redis.close()]);
      },
    };
  },
};
