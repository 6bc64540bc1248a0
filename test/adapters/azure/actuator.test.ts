/**
 * The Azure actuator through the real @azure/arm-compute, @azure/arm-machinelearning and @azure/arm-monitor
 * clients against the local HTTPS ARM endpoint: every action, every fault, operations observed over several
 * ticks, and the autoscale-setting conflict.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureActuator } from '../../../adapters/azure/actuator.ts';
import { callAzure } from '../../../adapters/azure/call.ts';
import { capacityErrorSignal } from '../../../adapters/ports/capacity-errors.ts';
import type { AzureClients } from '../../../adapters/azure/clients.ts';
import { AutoscaleConflictError } from '../../../adapters/azure/ml.ts';
import { createMemoryOperationStore, type OperationStore } from '../../../adapters/azure/operations.ts';
import {
  AccessDeniedError,
  InsufficientCapacityError,
  NodeNotFoundError,
  PoolNotFoundError,
  ProviderRejectedError,
  ProviderUnavailableError,
  ResourceBusyError,
  ThrottledError,
} from '../../../adapters/ports/actuator.ts';
import { CapacityErrorSchema } from '../../../core/schema/signal.ts';
import { TargetSchema, type Target } from '../../../core/schema/target.ts';
import { RESOURCE_GROUP, startAzureFake, SUBSCRIPTION, type AzureFake } from '../../support/azure-fake.ts';
import { blockedConnections } from '../../support/loopback-guard.ts';
import { azureClientsFor, scopesAsked, TEST_AZURE_POLICY } from './support.ts';

let fake: AzureFake;
let clients: AzureClients;

beforeAll(async () => {
  fake = await startAzureFake();
  clients = azureClientsFor(fake);
}, 30_000);
afterAll(async () => {
  await fake.close();
  expect(blockedConnections).toEqual([]);
});

const trainTarget = (resources: object): Target =>
  TargetSchema.parse({
    id: 'train-nd',
    kind: 'training-pool',
    provider: 'azure',
    region: 'eastus',
    pools: [
      { id: 'spot', instanceType: 'Standard_ND96asr_v4', capacityType: 'spot' },
      { id: 'od', instanceType: 'Standard_ND96asr_v4', capacityType: 'on-demand' },
    ],
    resource: { provider: 'azure', subscriptionId: SUBSCRIPTION, ...resources },
  });

const vmssResources = {
  pools: {
    spot: { kind: 'vmss', resourceGroup: RESOURCE_GROUP, name: 'train-spot' },
    od: { kind: 'vmss', resourceGroup: RESOURCE_GROUP, name: 'train-od' },
  },
};

const requestsTo = (method: string, fragment: string) =>
  fake.requests.filter((r) => r.method === method && r.path.includes(fragment));

describe('virtual machine scale sets', () => {
  let operations: OperationStore;
  let actuator: AzureActuator;

  beforeEach(() => {
    fake.requests.length = 0;
    fake.clearFaults();
    fake.allocationFailures.clear();
    fake.addScaleSet({ name: 'train-spot', sku: 'Standard_ND96asr_v4', capacity: 2, priority: 'Spot' });
    fake.addScaleSet({ name: 'train-od', sku: 'Standard_ND96asr_v4', capacity: 1, orchestrationMode: 'Flexible' });
    operations = createMemoryOperationStore();
    actuator = new AzureActuator(trainTarget(vmssResources), {
      clients,
      policy: TEST_AZURE_POLICY,
      operations,
      now: () => 1_000,
    });
  });

  it('observes capacity and instances of Uniform and Flexible scale sets with their states', async () => {
    const { capacity, capacityErrors } = await actuator.observe();
    expect(capacity.pools).toEqual([
      expect.objectContaining({
        poolId: 'spot',
        instanceType: 'Standard_ND96asr_v4',
        desired: 2,
        ready: 2,
        pending: 0,
      }),
      expect.objectContaining({ poolId: 'od', desired: 1, ready: 1, pending: 0 }),
    ]);
    expect(capacity.pools[0]!.nodes!.map((n) => n.id)).toEqual(['train-spot_0', 'train-spot_1']);
    expect(capacityErrors).toEqual([]);
    // Uniform lists the scale set's VMs; Flexible lists VMs filtered on the scale set, both with instance views.
    const uniform = requestsTo('GET', '/virtualMachineScaleSets/train-spot/virtualMachines')[0]!;
    expect(uniform.query.get('$expand')).toBe('instanceView');
    const flexible = requestsTo('GET', '/providers/Microsoft.Compute/virtualMachines')[0]!;
    expect(flexible.query.get('$filter')).toContain("'virtualMachineScaleSet/id' eq '/subscriptions/");
    expect(flexible.query.get('$expand')).toBe('instanceView');
    // Every request is authenticated with a token for ARM's scope, over TLS, with an api-version.
    expect(fake.requests.every((r) => r.headers.authorization === 'Bearer test-arm-token')).toBe(true);
    expect(fake.requests.every((r) => r.query.get('api-version'))).toBe(true);
    expect(new Set(scopesAsked)).toEqual(new Set(['https://management.azure.com/.default']));
  });

  it('sets capacity without waiting on the operation, and observes it over the next ticks', async () => {
    await actuator.setCapacity({ poolId: 'spot', desired: 4 });
    const patch = requestsTo('PATCH', '/virtualMachineScaleSets/train-spot')[0]!;
    expect(patch.body).toEqual({ sku: { capacity: 4 } });
    // Started, not waited on: the operation status URL was not polled yet.
    expect(requestsTo('GET', '/operations/')).toHaveLength(0);
    expect(fake.pendingOperations()).toBe(1);
    expect(await operations.keys('azure-op:train-nd:')).toEqual([expect.stringMatching(/^azure-op:train-nd:spot:/)]);

    // Tick 1: still running; the new instances are pending.
    let step = await actuator.advance();
    expect(step.notes).toEqual([]);
    expect(requestsTo('GET', '/operations/')).toHaveLength(1);
    let pool = (await actuator.readCapacity('train-nd')).pools[0]!;
    expect(pool).toMatchObject({ desired: 4, ready: 2, pending: 2 });

    // The cloud finishes; tick 2 sees the operation succeed and drops its record.
    fake.advance();
    step = await actuator.advance();
    expect(step.notes).toEqual([expect.stringMatching(/virtualMachineScaleSets.update on .*train-spot succeeded/)]);
    expect(await operations.keys('azure-op:train-nd:')).toEqual([]);
    pool = (await actuator.readCapacity('train-nd')).pools[0]!;
    expect(pool).toMatchObject({ desired: 4, ready: 4, pending: 0 });
  });

  it('launches relative to the current capacity', async () => {
    await actuator.launchCapacity({
      poolId: 'od',
      instanceType: 'Standard_ND96asr_v4',
      capacityType: 'on-demand',
      count: 2,
    });
    expect(requestsTo('PATCH', '/virtualMachineScaleSets/train-od')[0]!.body).toEqual({ sku: { capacity: 3 } });
  });

  it('launches once per idempotency key: a redelivery sets the same capacity again, other tags kept', async () => {
    fake.scaleSets.get('train-od')!.tags = { owner: 'ml-platform' };
    const launch = { poolId: 'od', instanceType: 'Standard_ND96asr_v4', capacityType: 'on-demand' as const, count: 2 };
    await actuator.launchCapacity({ ...launch, idempotencyKey: 'decision-7:launch:od' });
    expect(fake.scaleSets.get('train-od')!.sku.capacity).toBe(3);
    // The same decision re-driven after a crash: capacity is already 3, the launch must not make it 5.
    await actuator.launchCapacity({ ...launch, idempotencyKey: 'decision-7:launch:od' });
    expect(fake.scaleSets.get('train-od')!.sku.capacity).toBe(3);
    const patches = requestsTo('PATCH', '/virtualMachineScaleSets/train-od').map((r) => r.body as Record<string, any>);
    expect(patches.map((b) => b.sku)).toEqual([{ capacity: 3 }, { capacity: 3 }]);
    expect(patches[1]!.tags.owner).toBe('ml-platform');
    // A later decision adds to what is there now.
    await actuator.launchCapacity({ ...launch, idempotencyKey: 'decision-8:launch:od' });
    expect(fake.scaleSets.get('train-od')!.sku.capacity).toBe(5);
  });

  it('releases one drained instance with deleteInstances (Uniform: instance id; Flexible: VM name)', async () => {
    await actuator.drainAndRelease({ poolId: 'spot', instanceId: 'train-spot_1' });
    expect(requestsTo('POST', '/virtualMachineScaleSets/train-spot/delete')[0]!.body).toEqual({ instanceIds: ['1'] });
    await actuator.drainAndRelease({ poolId: 'od', instanceId: 'train-od_0' });
    expect(requestsTo('POST', '/virtualMachineScaleSets/train-od/delete')[0]!.body).toEqual({
      instanceIds: ['train-od_0'],
    });
    const draining = (await actuator.readCapacity('train-nd')).pools[0]!;
    expect(draining.desired).toBe(1);
    expect(draining.nodes!.find((n) => n.id === 'train-spot_1')!.state).toBe('draining');
    fake.advance();
    const step = await actuator.advance();
    expect(step.notes.filter((n) => n.includes('deleteInstances') && n.endsWith('succeeded'))).toHaveLength(2);
    expect((await actuator.readCapacity('train-nd')).pools[0]!.nodes!.map((n) => n.id)).toEqual(['train-spot_0']);
    await expect(actuator.drainAndRelease({ poolId: 'spot', instanceId: 'train-spot_9' })).rejects.toBeInstanceOf(
      NodeNotFoundError,
    );
  });

  it('allocation failures on the operation and on instances come back as capacity errors', async () => {
    fake.allocationFailures.set('train-spot', {
      code: 'AllocationFailed',
      message: 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.',
    });
    await actuator.setCapacity({ poolId: 'spot', desired: 3 });
    fake.advance();
    const step = await actuator.advance();
    expect(step.capacityErrors).toEqual([
      expect.objectContaining({ poolId: 'spot', capacityType: 'spot', code: 'AllocationFailed' }),
    ]);
    const { capacity, capacityErrors } = await actuator.observe();
    expect(capacity.pools[0]).toMatchObject({ desired: 3, ready: 2, pending: 0 });
    expect(capacityErrors).toEqual([expect.objectContaining({ poolId: 'spot', code: 'AllocationFailed' })]);
    const signal = capacityErrorSignal(capacityErrors[0]!, 5_000, 'azure');
    expect(CapacityErrorSchema.parse(signal)).toMatchObject({ kind: 'capacity-error', source: 'azure-compute' });
  });

  it.each([
    ['ZonalAllocationFailed', 409],
    ['OverconstrainedAllocationRequest', 409],
    ['SkuNotAvailable', 409],
    ['QuotaExceeded', 409],
  ])('a synchronous %s is an InsufficientCapacityError', async (code, status) => {
    fake.inject({ match: (r) => r.method === 'PATCH', kind: 'http', status, code, message: `${code} for the request` });
    const error = await actuator.setCapacity({ poolId: 'spot', desired: 5 }).catch((e) => e);
    expect(error).toBeInstanceOf(InsufficientCapacityError);
    expect(error).toMatchObject({ poolId: 'spot', capacityType: 'spot', code });
  });

  it('a quota error spelt OperationNotAllowed is a capacity error too', async () => {
    fake.inject({
      match: (r) => r.method === 'PATCH',
      kind: 'http',
      status: 409,
      code: 'OperationNotAllowed',
      message:
        'Operation could not be completed as it results in exceeding approved standardNDASv4_A100Family Cores quota.',
    });
    const error = await actuator.setCapacity({ poolId: 'spot', desired: 5 }).catch((e) => e);
    expect(error).toMatchObject({ name: 'InsufficientCapacityError', code: 'QuotaExceeded' });
  });

  it('honours 429 Retry-After within the bound, then succeeds', async () => {
    fake.inject({
      match: (r) => r.method === 'PATCH',
      kind: 'http',
      status: 429,
      code: 'TooManyRequests',
      headers: { 'retry-after': '1' },
    });
    const started = Date.now();
    await actuator.setCapacity({ poolId: 'spot', desired: 3 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(requestsTo('PATCH', '/train-spot')).toHaveLength(2);
  });

  it('a Retry-After beyond the bound fails at once as a retryable ThrottledError', async () => {
    fake.inject({
      match: (r) => r.method === 'PATCH',
      kind: 'http',
      status: 429,
      code: 'TooManyRequests',
      headers: { 'retry-after': '120' },
    });
    const error = await actuator.setCapacity({ poolId: 'spot', desired: 3 }).catch((e) => e);
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('Retry-After 120 s');
    expect(requestsTo('PATCH', '/train-spot')).toHaveLength(1);
  });

  it('retries 5xx and resets a bounded number of times, then is ProviderUnavailable', async () => {
    fake.inject({ match: (r) => r.method === 'GET', kind: 'http', status: 503, code: 'ServiceUnavailable', times: 1 });
    fake.inject({ match: (r) => r.method === 'GET', kind: 'reset', times: 1 });
    await expect(actuator.observe()).resolves.toBeTruthy();
    fake.requests.length = 0;
    fake.inject({
      match: (r) => r.method === 'PATCH',
      kind: 'http',
      status: 500,
      code: 'InternalServerError',
      times: 10,
    });
    const error = await actuator.setCapacity({ poolId: 'spot', desired: 3 }).catch((e) => e);
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(requestsTo('PATCH', '/train-spot')).toHaveLength(TEST_AZURE_POLICY.attempts);
  });

  it('a slow answer times out per attempt', async () => {
    const error = await callAzure(
      { ...TEST_AZURE_POLICY, timeoutMs: 200, attempts: 2 },
      'virtualMachineScaleSets.get',
      'train-spot',
      (options) => {
        fake.inject({ match: (r) => r.method === 'GET', kind: 'slow', delayMs: 2_000 });
        return clients.compute(SUBSCRIPTION).virtualMachineScaleSets.get(RESOURCE_GROUP, 'train-spot', options);
      },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(requestsTo('GET', '/train-spot')).toHaveLength(2);
  });

  it('409 Conflict is ResourceBusy, 403 is AccessDenied, 404 is PoolNotFound, neither retried', async () => {
    fake.inject({
      match: (r) => r.method === 'PATCH',
      kind: 'http',
      status: 409,
      code: 'Conflict',
      message: 'Operation Put VMScaleSet is not allowed: another operation is in progress',
    });
    await expect(actuator.setCapacity({ poolId: 'spot', desired: 3 })).rejects.toBeInstanceOf(ResourceBusyError);
    fake.inject({
      match: (r) => r.method === 'PATCH',
      kind: 'http',
      status: 403,
      code: 'AuthorizationFailed',
      message: 'no Microsoft.Compute/virtualMachineScaleSets/write',
    });
    const denied = await actuator.setCapacity({ poolId: 'spot', desired: 3 }).catch((e) => e);
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect(denied.call).toBe('virtualMachineScaleSets.update');
    expect(requestsTo('PATCH', '/train-spot')).toHaveLength(2);
    fake.scaleSets.delete('train-spot');
    await expect(actuator.setCapacity({ poolId: 'spot', desired: 3 })).rejects.toBeInstanceOf(PoolNotFoundError);
  });

  it('changes the sku under a Rolling upgrade policy, and refuses under Manual', async () => {
    const refused = await actuator
      .changeInstanceType({ poolId: 'spot', toInstanceType: 'Standard_ND96amsr_A100_v4', count: 2 })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(ProviderRejectedError);
    expect(refused.code).toBe('UpgradePolicyNotRolling');
    fake.scaleSets.get('train-spot')!.upgradeMode = 'Rolling';
    await actuator.changeInstanceType({ poolId: 'spot', toInstanceType: 'Standard_ND96amsr_A100_v4', count: 2 });
    expect(requestsTo('PATCH', '/train-spot')[0]!.body).toEqual({
      sku: { name: 'Standard_ND96amsr_A100_v4', capacity: 2 },
    });
    fake.advance();
    await actuator.advance();
    expect((await actuator.readCapacity('x')).pools[0]!.instanceType).toBe('Standard_ND96amsr_A100_v4');
  });
});

describe('Azure ML managed online deployments', () => {
  const mlTarget = (autoscale?: string): Target =>
    TargetSchema.parse({
      id: 'llm',
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
            ...(autoscale ? { autoscale } : {}),
          },
        },
      },
    });
  let operations: OperationStore;

  beforeEach(() => {
    fake.requests.length = 0;
    fake.clearFaults();
    fake.allocationFailures.clear();
    fake.autoscaleSettings.length = 0;
    fake.addEndpoint({ name: 'llm-ep', deployment: 'blue', instanceType: 'Standard_NC24ads_A100_v4', capacity: 2 });
    operations = createMemoryOperationStore();
  });
  const actuatorFor = (target: Target) =>
    new AzureActuator(target, { clients, policy: TEST_AZURE_POLICY, operations, now: () => 1_000 });

  it('observes and sets the instance count', async () => {
    const actuator = actuatorFor(mlTarget());
    expect((await actuator.readCapacity('llm')).pools[0]).toMatchObject({
      instanceType: 'Standard_NC24ads_A100_v4',
      desired: 2,
      ready: 2,
    });
    await actuator.setCapacity({ poolId: 'main', desired: 3 });
    expect(requestsTo('PATCH', '/onlineEndpoints/llm-ep/deployments/blue')[0]!.body).toEqual({ sku: { capacity: 3 } });
    expect((await actuator.readCapacity('llm')).pools[0]).toMatchObject({ desired: 3, ready: 0, pending: 3 });
    fake.advance();
    expect((await actuator.readCapacity('llm')).pools[0]).toMatchObject({ desired: 3, ready: 3 });
    await expect(actuator.setCapacity({ poolId: 'main', desired: 0 })).rejects.toMatchObject({
      code: 'MinimumOneInstance',
    });
  });

  it('launches once per idempotency key on a deployment too (the base in its tide-launch tag)', async () => {
    const actuator = actuatorFor(mlTarget());
    const launch = {
      poolId: 'main',
      instanceType: 'Standard_NC24ads_A100_v4',
      capacityType: 'on-demand' as const,
      count: 1,
      idempotencyKey: 'decision-3:launch:main',
    };
    await actuator.launchCapacity(launch);
    fake.advance();
    await actuator.launchCapacity(launch);
    expect(requestsTo('PATCH', '/deployments/blue').map((r) => (r.body as { sku: unknown }).sku)).toEqual([
      { capacity: 3 },
      { capacity: 3 },
    ]);
    await actuator.launchCapacity({ ...launch, idempotencyKey: 'decision-4:launch:main' });
    expect((await actuator.readCapacity('llm')).pools[0]!.desired).toBe(4);
  });

  it('refuses to fight an autoscale setting, or takes it over and restores it at release', async () => {
    const deployment = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/ws-ml/onlineEndpoints/llm-ep/deployments/blue`;
    fake.autoscaleSettings.push({
      subscriptionId: SUBSCRIPTION,
      resourceGroup: RESOURCE_GROUP,
      name: 'blue-autoscale',
      targetResourceUri: deployment,
      enabled: true,
    });
    const refusing = actuatorFor(mlTarget());
    await expect(refusing.setCapacity({ poolId: 'main', desired: 3 })).rejects.toBeInstanceOf(AutoscaleConflictError);
    expect(requestsTo('PATCH', '/deployments/blue')).toHaveLength(0);

    const taking = actuatorFor(mlTarget('take-over'));
    await taking.setCapacity({ poolId: 'main', desired: 3 });
    expect(requestsTo('PATCH', '/autoscalesettings/blue-autoscale')[0]!.body).toMatchObject({
      properties: { enabled: false },
    });
    expect(fake.autoscaleSettings[0]!.enabled).toBe(false);
    expect(requestsTo('PATCH', '/deployments/blue')).toHaveLength(1);
    await taking.release();
    expect(fake.autoscaleSettings[0]!.enabled).toBe(true);
  });

  it('scales up to a bigger type by a new deployment, a traffic shift, then deleting the old one, one step per tick', async () => {
    const actuator = actuatorFor(mlTarget());
    await actuator.changeInstanceType({ poolId: 'main', toInstanceType: 'Standard_NC48ads_A100_v4', count: 2 });
    const put = requestsTo('PUT', '/deployments/')[0]!;
    expect(put.path).toMatch(/\/deployments\/blue-nc48ads-a100-v4$/);
    expect(put.body).toMatchObject({ sku: { capacity: 2 }, properties: { instanceType: 'Standard_NC48ads_A100_v4' } });
    const ep = fake.endpoints.get('ws-ml/llm-ep')!;
    // Tick 1: the new deployment is still creating; nothing else happens.
    expect((await actuator.advance()).notes).toEqual([expect.stringMatching(/waiting for deployment blue-nc48ads/)]);
    fake.advance();
    // Tick 2: shift all the traffic to the new deployment.
    expect((await actuator.advance()).notes).toEqual([expect.stringMatching(/traffic of llm-ep shifted/)]);
    expect(ep.traffic).toEqual({ blue: 0, 'blue-nc48ads-a100-v4': 100 });
    expect((await actuator.advance()).notes).toEqual([expect.stringMatching(/waiting for endpoint llm-ep/)]);
    fake.advance();
    // Tick 4: delete the old deployment; the new one serves.
    expect((await actuator.advance()).notes).toEqual([expect.stringMatching(/deployment blue deleted/)]);
    fake.advance();
    expect([...ep.deployments.keys()]).toEqual(['blue-nc48ads-a100-v4']);
    expect((await actuator.readCapacity('llm')).pools[0]).toMatchObject({
      instanceType: 'Standard_NC48ads_A100_v4',
      desired: 2,
      ready: 2,
    });
  });

  it('a move whose new deployment fails leaves the old one serving', async () => {
    fake.allocationFailures.set('Standard_NC48ads_A100_v4', { code: 'InsufficientQuota', message: 'not enough quota' });
    const actuator = actuatorFor(mlTarget());
    await actuator.changeInstanceType({ poolId: 'main', toInstanceType: 'Standard_NC48ads_A100_v4', count: 2 });
    fake.advance();
    expect((await actuator.advance()).notes).toEqual([expect.stringMatching(/failed: .* Failed; blue keeps serving/)]);
    expect(fake.endpoints.get('ws-ml/llm-ep')!.traffic.blue).toBe(100);
  });
});
