/**
 * The Google Cloud mode of `npm run bench:e2e`: `tideEvents`' handler in act mode (ingest, decide, commit,
 * reconcile) over a loopback redis-server, the Google Cloud adapters with the real REST clients, and the local
 * endpoint of test/support/gcp-fake.ts as the cloud. One event = one Cloud Monitoring incident delivered by
 * Pub/Sub (the CloudEvent the Functions Framework hands over) for one of the managed-instance-group targets;
 * the clock is real. What is timed is handler entry to its return, which includes the provider calls
 * (instanceGroupManagers.get, listManagedInstances, the template, resize) and their answers. The deliveries
 * for one group share its read for up to the clients' default 1 s, as they do in production (none with
 * `--reads-per-event`). The fake cloud (./gcp-fake.ts) runs in a child process of its own (./fake.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import { GcpActuator } from '../../../adapters/gcp/actuator.ts';
import { GcpClients } from '../../../adapters/gcp/clients.ts';
import { gcpEndpointFromEnv } from '../../../adapters/gcp/config.ts';
import { TargetSchema } from '../../../core/schema/target.ts';
import { createGcpHandlers } from '../../../functions/gcp/handlers.ts';
import { createRuntime } from '../../../functions/shell/runtime.ts';
import { startRedisServer } from '../../../test/support/redis-server.ts';
import type { E2eCloud } from './types.ts';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';
import { ActedEvents } from './acted.ts';
import { cpuUsOf, startFake } from './fake.ts';
import { benchPolicy, demandOf, TARGETS, targetOf } from './workload.ts';

export const gcpE2e: E2eCloud = {
  name: 'gcp',
  async start(options) {
    const [fake, redis] = await Promise.all([startFake('gcp', options.fakeInProcess), startRedisServer()]);
    const env = { ...process.env, TIDE_MODE: 'act', REDIS_URL: redis.url, TIDE_DEPLOYMENT: `bench-${Date.now()}` };
    const authClient = new OAuth2Client();
    authClient.setCredentials({ access_token: 'bench', expiry_date: Date.now() + 3_600_000 });
    // --reads-per-event: no capacity read is shared (the clients' default shares one for 1 s).
    const clients = new GcpClients({
      ...gcpEndpointFromEnv({ TIDE_GCP_API_ENDPOINT: fake.url }),
      authClient,
      ...(options.readsPerEvent ? { observationMaxAgeMs: 0 } : {}),
    });
    const acted = new ActedEvents();
    const runtime = createRuntime(env, {
      eventSources: EVENT_SOURCES,
      providers: { gcp: acted.watchAll((target) => new GcpActuator(target, { clients })) },
      write: () => {},
    });
    for (let i = 0; i < TARGETS; i++) {
      await runtime.store.putTarget(
        TargetSchema.parse({
          id: `bench-${i}`,
          kind: 'inference-endpoint',
          provider: 'gcp',
          pools: [{ id: 'serve', instanceType: 'g2-standard-8' }],
          resource: {
            provider: 'gcp',
            pools: { serve: { kind: 'mig', project: 'bench', zone: 'us-central1-a', name: `mig-${i}` } },
          },
        }),
      );
      await runtime.store.putPolicy(`bench-${i}`, benchPolicy('gcp-monitoring', `cpu-${i}`));
    }
    const handlers = createGcpHandlers(() => ({ runtime, clients }));
    const push = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '../../../test/fixtures/events/gcp/pubsub-monitoring-incident.json'),
        'utf8',
      ),
    ) as { message: { data: string; messageId: string }; subscription: string };
    const incident = JSON.parse(Buffer.from(push.message.data, 'base64').toString('utf8'));
    let sequence = 0;
    return {
      async invoke(i) {
        const id = `bench-${sequence++}`;
        const body = structuredClone(incident);
        body.incident.incident_id = id;
        body.incident.policy_name = `cpu-${targetOf(i)}`;
        body.incident.observed_value = String(demandOf(i, options.holdEvents));
        body.incident.started_at = Math.floor(Date.now() / 1000);
        await handlers.onCloudEvent({
          specversion: '1.0',
          id,
          source: '//pubsub.googleapis.com/projects/bench/topics/tide-events',
          type: 'google.cloud.pubsub.topic.v1.messagePublished',
          data: {
            message: { data: Buffer.from(JSON.stringify(body)).toString('base64'), messageId: id },
            subscription: push.subscription,
          },
        });
      },
      fake,
      actedEvents: () => acted.count,
      otherCpuUs: async () => ({ redis: cpuUsOf(redis.pid) }),
      setup: { fake: options.fakeInProcess ? 'in the bench process (its CPU counts in bench)' : 'child process' },
      async stop() {
        await clients.close();
        await runtime.store.close?.();
        await Promise.all([fake.close(), redis.close()]);
      },
    };
  },
};
