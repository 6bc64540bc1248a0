/**
 * An Azure ML deployment move survives a cold start. One Function App instance starts the move (a new
 * deployment on the bigger type) and takes its first step on a tick; then it is gone, and a new instance,
 * made from the same settings with nothing shared in memory, finishes it on its own ticks: the traffic shifts
 * and the old deployment is deleted. The move's steps and the started operations live in the state store
 * (Redis here), not in the process. Real Redis, the real Azure clients against the local HTTPS ARM endpoint.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAzureHandlers, type AzureRuntime } from '../../../functions/azure/handlers.ts';
import { makeAzureRuntime } from '../../../functions/azure/index.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { TargetSchema } from '../../../core/schema/target.ts';
import { RESOURCE_GROUP, startAzureFake, SUBSCRIPTION, type AzureFake } from '../../support/azure-fake.ts';
import { blockedConnections, installLoopbackGuard } from '../../support/loopback-guard.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { makeTestPki } from '../../support/tls.ts';

installLoopbackGuard();

let fake: AzureFake;
let redis: RedisServer;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'tide-azure-cold-'));
const made: AzureRuntime[] = [];

beforeAll(async () => {
  const pki = makeTestPki();
  writeFileSync(join(dir, 'ca.pem'), pki.caCert);
  [fake, redis] = await Promise.all([startAzureFake(pki), startRedisServer()]);
  env = {
    TIDE_MODE: 'act',
    REDIS_URL: redis.url,
    TIDE_DEPLOYMENT: `cold-move-${process.pid}`,
    TIDE_AZURE_ARM_ENDPOINT: fake.url,
    TIDE_AZURE_CA_FILE: join(dir, 'ca.pem'),
    TIDE_AZURE_STATIC_TOKEN: 'local-arm-token',
  };
}, 60_000);

afterAll(async () => {
  for (const instance of made) await instance.runtime.store.close();
  await Promise.all([fake?.close(), redis?.close()]);
  rmSync(dir, { recursive: true, force: true });
  expect(blockedConnections).toEqual([]);
});

/** A new Function App instance: its own runtime, clients and handlers, from the settings alone. */
function coldStart() {
  const instance = makeAzureRuntime(env);
  made.push(instance);
  const handlers = createAzureHandlers(
    () => instance,
    () => Promise.reject(new Error('no HTTP here')),
  );
  let n = 0;
  const tick = () =>
    handlers.timer(
      { isPastDue: false, scheduleStatus: undefined } as never,
      {
        functionName: 'tideTick',
        invocationId: `tick-${made.length}-${++n}`,
      } as never,
    );
  return { instance, tick };
}

const target = TargetSchema.parse({
  id: 'llm-ml',
  kind: 'inference-endpoint',
  provider: 'azure',
  region: 'eastus',
  pools: [{ id: 'main', instanceType: 'Standard_NC24ads_A100_v4', capacityType: 'on-demand' }],
  resource: {
    provider: 'azure',
    subscriptionId: SUBSCRIPTION,
    pools: {
      main: {
        kind: 'ml-online-deployment',
        resourceGroup: RESOURCE_GROUP,
        workspace: 'ws-ml',
        endpoint: 'llm-ep',
        deployment: 'blue',
      },
    },
  },
});

it('a move started by one instance is finished by the next, after a cold start in the middle', {
  timeout: 60_000,
}, async () => {
  fake.addEndpoint({ name: 'llm-ep', deployment: 'blue', instanceType: 'Standard_NC24ads_A100_v4', capacity: 2 });
  const first = coldStart();
  await first.instance.runtime.store.putTarget(target);
  await first.instance.runtime.store.putPolicy('llm-ml', PolicySchema.parse({ minCapacity: 1, maxCapacity: 4 }));
  const ep = fake.endpoints.get('ws-ml/llm-ep')!;

  // Instance 1: the decision's change of type starts the move (the reconciler's call), then one tick.
  await first.instance.runtime
    .actuators(target)
    .changeInstanceType({ poolId: 'main', toInstanceType: 'Standard_NC48ads_A100_v4', count: 2 });
  expect([...ep.deployments.keys()]).toEqual(['blue', 'blue-nc48ads-a100-v4']);
  await first.tick(); // the new deployment is still creating: nothing else happens
  expect(ep.traffic).toEqual({ blue: 100, 'blue-nc48ads-a100-v4': 0 });
  fake.advance();
  // The instance is gone (scaled in, recycled): its memory with it.
  await first.instance.runtime.store.close();

  // Instance 2, cold: the next ticks shift the traffic, then delete the old deployment.
  const second = coldStart();
  await second.tick();
  expect(ep.traffic).toEqual({ blue: 0, 'blue-nc48ads-a100-v4': 100 });
  fake.advance();
  await second.tick();
  fake.advance();
  expect([...ep.deployments.keys()]).toEqual(['blue-nc48ads-a100-v4']);
  // And it knows which deployment serves now: the observation reads the new one.
  const observed = await second.instance.runtime.actuators(target).readCapacity('llm-ml');
  expect(observed.pools[0]).toMatchObject({ instanceType: 'Standard_NC48ads_A100_v4', desired: 2 });

  // Instance 3, cold again, after the move: still the new deployment; no move left to step.
  const third = coldStart();
  const requestsBefore = fake.requests.length;
  await third.tick();
  const after = fake.requests.slice(requestsBefore);
  expect(after.filter((r) => r.method !== 'GET')).toEqual([]);
  const again = await third.instance.runtime.actuators(target).readCapacity('llm-ml');
  expect(again.pools[0]).toMatchObject({ instanceType: 'Standard_NC48ads_A100_v4' });
  // The records are in Redis under the deployment's namespace, each with a TTL.
  const records = third.instance.runtime.store.records!;
  const group = `azure-ml:/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/ws-ml/onlineEndpoints/llm-ep/deployments/blue:`;
  expect(await records.keys(group)).toEqual([`${group}current`]);
});
