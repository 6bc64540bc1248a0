import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GcpActuator } from '../../../adapters/gcp/actuator.ts';
import { capacityErrorSignal } from '../../../adapters/ports/capacity-errors.ts';
import type { GcpClients } from '../../../adapters/gcp/clients.ts';
import { GcpResourceSchema } from '../../../core/schema/resource-gcp.ts';
import { GkeAutoscalerConflictError } from '../../../adapters/gcp/gke.ts';
import { VertexMinimumReplicaError } from '../../../adapters/gcp/vertex.ts';
import {
  AccessDeniedError,
  InsufficientCapacityError,
  NodeNotFoundError,
  ProviderRejectedError,
  ProviderUnavailableError,
  ResourceBusyError,
  ThrottledError,
} from '../../../adapters/ports/actuator.ts';
import { CapacityErrorSchema } from '../../../core/schema/signal.ts';
import { TargetSchema, type Target } from '../../../core/schema/target.ts';
import { migKey, startGcpFake, type GcpFake } from '../../support/gcp-fake.ts';
import { blockedConnections } from '../../support/loopback-guard.ts';
import { clientsFor, TEST_CALL_POLICY } from './support.ts';

let fake: GcpFake;
let clients: GcpClients;

beforeAll(async () => {
  fake = await startGcpFake();
  clients = clientsFor(fake);
  // Loading the clients' protos takes seconds on a loaded machine: do it once here, not inside a test's budget.
  for (const client of [
    clients.instanceGroupManagers,
    clients.regionInstanceGroupManagers,
    clients.instanceTemplates,
    clients.clusterManager,
    clients.endpoints,
    clients.endpointsBeta,
  ]) {
    void client;
  }
  await clients.instanceGroupManagers
    .get({ project: 'warm', zone: 'z', instanceGroupManager: 'up' }, { timeout: 30_000, retry: null })
    .catch(() => undefined);
}, 60_000);
afterAll(async () => {
  await clients.close();
  await fake.close();
  expect(blockedConnections).toEqual([]);
});

const target = (pools: Target['pools']): Target =>
  TargetSchema.parse({ id: 'train-a100', kind: 'training-pool', provider: 'gcp', region: 'us-central1', pools });

const withResource = (t: Target, resources: object): Target =>
  TargetSchema.parse({ ...t, resource: { provider: 'gcp', ...resources } });
const actuatorFor = (t: Target, resources: object) =>
  new GcpActuator(withResource(t, resources), {
    clients,
    policy: TEST_CALL_POLICY,
    now: () => 1_000,
  });

const requestsTo = (fragment: string) => fake.requests.filter((r) => `${r.method} ${r.path}`.includes(fragment));

describe('managed instance groups (zonal)', () => {
  const t = target([
    { id: 'spot-a', instanceType: 'a2-highgpu-1g', capacityType: 'spot', zone: 'us-central1-a' },
    { id: 'od-b', instanceType: 'a2-highgpu-1g', capacityType: 'on-demand', zone: 'us-central1-b' },
  ]);
  const resources = {
    pools: {
      'spot-a': { kind: 'mig', project: 'p1', zone: 'us-central1-a', name: 'train-spot' },
      'od-b': { kind: 'mig', project: 'p1', zone: 'us-central1-b', name: 'train-od' },
    },
  };
  let actuator: GcpActuator;

  beforeEach(() => {
    fake.requests.length = 0;
    fake.creationFailures.clear();
    fake.addMig({
      project: 'p1',
      scope: 'zones/us-central1-a',
      name: 'train-spot',
      targetSize: 2,
      instanceTemplate: 'projects/p1/global/instanceTemplates/train-a2',
      machineType: 'a2-highgpu-1g',
      running: 2,
    });
    fake.addMig({
      project: 'p1',
      scope: 'zones/us-central1-b',
      name: 'train-od',
      targetSize: 0,
      instanceTemplate: 'projects/p1/global/instanceTemplates/train-a2',
      machineType: 'a2-highgpu-1g',
    });
    actuator = actuatorFor(t, resources);
  });

  it('observes target size, ready and pending instances, and the template machine type', async () => {
    const { capacity } = await actuator.observe();
    expect(capacity.pools).toEqual([
      expect.objectContaining({
        poolId: 'spot-a',
        instanceType: 'a2-highgpu-1g',
        capacityType: 'spot',
        desired: 2,
        ready: 2,
        pending: 0,
      }),
      expect.objectContaining({ poolId: 'od-b', desired: 0, ready: 0, pending: 0 }),
    ]);
    expect(requestsTo('GET /compute/v1/projects/p1/zones/us-central1-a/instanceGroupManagers/train-spot')).toHaveLength(
      1,
    );
    // The request carried the configured credentials.
    expect(fake.requests.length).toBeGreaterThan(0);
  });

  it('reads a template once per process: the actuators built per delivery share the machine type (templates are immutable)', async () => {
    const template = 'projects/p1/global/instanceTemplates/serve-once';
    fake.addMig({
      project: 'p1',
      scope: 'zones/us-central1-a',
      name: 'serve-once',
      targetSize: 1,
      instanceTemplate: template,
      machineType: 'g2-standard-8',
      running: 1,
    });
    const serve = target([
      { id: 'serve', instanceType: 'g2-standard-8', capacityType: 'on-demand', zone: 'us-central1-a' },
    ]);
    const bound = { pools: { serve: { kind: 'mig', project: 'p1', zone: 'us-central1-a', name: 'serve-once' } } };
    fake.requests.length = 0;
    for (let delivery = 0; delivery < 3; delivery += 1) {
      const { capacity } = await actuatorFor(serve, bound).observe();
      expect(capacity.pools[0]).toMatchObject({ instanceType: 'g2-standard-8', desired: 1, ready: 1 });
    }
    expect(requestsTo('instanceTemplates/serve-once')).toHaveLength(1);
    // Each delivery: the group and its instances, read side by side.
    expect(requestsTo('instanceGroupManagers/serve-once')).toHaveLength(6);
  });

  it('resizes without waiting on the operation; later ticks see the instances come up', async () => {
    await actuator.setCapacity({ poolId: 'spot-a', desired: 4 });
    expect(requestsTo('/train-spot/resize').map((r) => r.query.get('size'))).toEqual(['4']);
    expect(requestsTo('/operations/')).toHaveLength(0);
    let pool = (await actuator.readCapacity('train-a100')).pools[0];
    expect(pool).toMatchObject({ desired: 4, ready: 2, pending: 2 });
    fake.advance();
    pool = (await actuator.readCapacity('train-a100')).pools[0];
    expect(pool).toMatchObject({ desired: 4, ready: 4, pending: 0 });
  });

  it('launches capacity on top of the current target size', async () => {
    await actuator.launchCapacity({
      poolId: 'od-b',
      instanceType: 'a2-highgpu-1g',
      capacityType: 'on-demand',
      count: 2,
    });
    expect(requestsTo('/train-od/resize').map((r) => r.query.get('size'))).toEqual(['2']);
  });

  it('a re-driven launch (same idempotency key) grows the group once: the requestId is sent and honoured', async () => {
    const launch = {
      poolId: 'od-b',
      instanceType: 'a2-highgpu-1g',
      capacityType: 'on-demand' as const,
      count: 2,
      idempotencyKey: 'evt-7:0',
    };
    await actuator.launchCapacity(launch);
    await actuator.launchCapacity(launch);
    const ids = requestsTo('/train-od/resize').map((r) => r.query.get('requestId'));
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(fake.migs.get(migKey('p1', 'zones/us-central1-b', 'train-od'))?.targetSize).toBe(2);
  });

  it('releases one drained instance by its URL and lowers the target size; a gone instance is NodeNotFound', async () => {
    const node = (await actuator.readCapacity('t')).pools[0]!.nodes![0]!;
    await actuator.drainAndRelease({ poolId: 'spot-a', instanceId: node.id });
    const [request] = requestsTo('/train-spot/deleteInstances');
    expect(request?.body).toEqual({
      instances: [expect.stringContaining(`/zones/us-central1-a/instances/${node.id}`)],
      skipInstancesOnValidationError: true,
    });
    expect(fake.migs.get(migKey('p1', 'zones/us-central1-a', 'train-spot'))?.targetSize).toBe(1);
    await expect(actuator.drainAndRelease({ poolId: 'spot-a', instanceId: 'no-such-node' })).rejects.toBeInstanceOf(
      NodeNotFoundError,
    );
  });

  it('reports a stockout on new spot instances as a capacity error, which becomes a valid capacity-error signal', async () => {
    fake.creationFailures.set(migKey('p1', 'zones/us-central1-a', 'train-spot'), {
      code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
      message:
        "The zone 'projects/p1/zones/us-central1-a' does not have enough resources available to fulfill the request.",
    });
    await actuator.setCapacity({ poolId: 'spot-a', desired: 3 });
    fake.advance();
    const { capacity, capacityErrors } = await actuator.observe();
    expect(capacity.pools[0]).toMatchObject({ desired: 3, ready: 2, pending: 1 });
    expect(capacityErrors).toEqual([
      expect.objectContaining({
        poolId: 'spot-a',
        capacityType: 'spot',
        code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
        zone: 'us-central1-a',
      }),
    ]);
    const signal = capacityErrorSignal(capacityErrors[0]!, 5_000, 'gcp');
    expect(CapacityErrorSchema.parse(signal)).toMatchObject({
      kind: 'capacity-error',
      poolId: 'spot-a',
      code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
    });
  });

  it('rolls to a new machine type through a new template and a proactive update with surge, observed over ticks', async () => {
    await actuator.changeInstanceType({ poolId: 'spot-a', toInstanceType: 'a2-ultragpu-1g', count: 2 });
    const insert = requestsTo('POST /compute/v1/projects/p1/global/instanceTemplates')[0];
    expect(insert?.body).toMatchObject({
      name: 'tide-train-spot-a2-ultragpu-1g',
      properties: { machineType: 'a2-ultragpu-1g' },
    });
    const patch = requestsTo('PATCH /compute/v1/projects/p1/zones/us-central1-a/instanceGroupManagers/train-spot')[0];
    expect(patch?.body).toMatchObject({
      versions: [{ instanceTemplate: 'projects/p1/global/instanceTemplates/tide-train-spot-a2-ultragpu-1g' }],
      updatePolicy: { type: 'PROACTIVE', maxUnavailable: { fixed: 0 }, maxSurge: { fixed: 2 } },
    });
    // Tick 1: the group reports the new type, its instances are being replaced (not ready).
    let pool = (await actuator.readCapacity('t')).pools[0];
    expect(pool).toMatchObject({ instanceType: 'a2-ultragpu-1g', ready: 0, pending: 2 });
    // Tick 2: replaced.
    fake.advance();
    pool = (await actuator.readCapacity('t')).pools[0];
    expect(pool).toMatchObject({ instanceType: 'a2-ultragpu-1g', ready: 2, pending: 0 });
    // A redelivered action finds the template (409 ALREADY_EXISTS) and goes on.
    await actuator.changeInstanceType({ poolId: 'spot-a', toInstanceType: 'a2-ultragpu-1g', count: 2 });
    expect(
      requestsTo('PATCH /compute/v1/projects/p1/zones/us-central1-a/instanceGroupManagers/train-spot'),
    ).toHaveLength(2);
  });
});

describe('faults: bounded retries, typed errors', () => {
  const t = target([{ id: 'spot-a', instanceType: 'a2-highgpu-1g', capacityType: 'spot' }]);
  const resources = { pools: { 'spot-a': { kind: 'mig', project: 'p2', zone: 'us-central1-a', name: 'g' } } };
  let actuator: GcpActuator;
  const resizes = () => requestsTo('/instanceGroupManagers/g/resize').length;

  beforeEach(() => {
    fake.requests.length = 0;
    fake.clearFaults();
    fake.addMig({
      project: 'p2',
      scope: 'zones/us-central1-a',
      name: 'g',
      targetSize: 1,
      instanceTemplate: 'projects/p2/global/instanceTemplates/t',
      running: 1,
    });
    actuator = actuatorFor(t, resources);
  });
  afterEach(() => fake.requests.splice(0));

  const isResize = (r: { path: string }) => r.path.endsWith('/g/resize');

  it.each([
    [
      '429 RESOURCE_EXHAUSTED',
      {
        kind: 'http' as const,
        status: 429,
        body: { error: { code: 429, message: 'Rate Limit Exceeded', status: 'RESOURCE_EXHAUSTED' } },
      },
    ],
    ['503 UNAVAILABLE', { kind: 'http' as const, status: 503 }],
    ['a reset connection', { kind: 'reset' as const }],
  ])('retries %s and succeeds', async (_label, fault) => {
    fake.inject({ ...fault, match: isResize, times: 2 });
    await actuator.setCapacity({ poolId: 'spot-a', desired: 2 });
    expect(resizes()).toBe(3);
  });

  it('gives up after the bounded attempts with a retryable error', async () => {
    fake.inject({ kind: 'http', status: 503, match: isResize, times: 10 });
    const error = await actuator.setCapacity({ poolId: 'spot-a', desired: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).retryable).toBe(true);
    expect((error as Error).message).toContain('instanceGroupManagers.resize');
    expect(resizes()).toBe(TEST_CALL_POLICY.attempts);
  });

  it('a throttle that persists is a ThrottledError after the bounded attempts', async () => {
    fake.inject({
      kind: 'http',
      status: 429,
      body: { error: { code: 429, message: 'Rate Limit Exceeded', status: 'RESOURCE_EXHAUSTED' } },
      match: isResize,
      times: 3,
    });
    await expect(actuator.setCapacity({ poolId: 'spot-a', desired: 2 })).rejects.toBeInstanceOf(ThrottledError);
    expect(resizes()).toBe(3);
  });

  it('a slow answer past the per-call timeout is retried', async () => {
    const slowActuator = new GcpActuator(withResource(t, resources), {
      clients,
      policy: { ...TEST_CALL_POLICY, timeoutMs: 300 },
    });
    fake.inject({ kind: 'slow', delayMs: 2_000, match: isResize });
    await slowActuator.setCapacity({ poolId: 'spot-a', desired: 2 });
    expect(resizes()).toBe(2);
  });

  it('access denied is a non-retryable error naming the call and the resource, after one attempt', async () => {
    fake.inject({
      kind: 'http',
      status: 403,
      body: {
        error: {
          code: 403,
          message: "Required 'compute.instanceGroupManagers.update' permission",
          status: 'PERMISSION_DENIED',
        },
      },
      match: isResize,
    });
    const error = (await actuator
      .setCapacity({ poolId: 'spot-a', desired: 2 })
      .catch((e: unknown) => e)) as AccessDeniedError;
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(error.retryable).toBe(false);
    expect(error).toMatchObject({
      call: 'instanceGroupManagers.resize',
      resource: 'projects/p2/zones/us-central1-a/instanceGroupManagers/g',
    });
    // Google's own answer stays on the error as its cause.
    expect(String((error.cause as Error).message)).toContain("Required 'compute.instanceGroupManagers.update'");
    expect(resizes()).toBe(1);
  });

  it('a group still busy with an earlier change (resourceNotReady) is a ResourceBusyError for the next decision', async () => {
    // Compute Engine's answer while a managed instance group is being changed.
    fake.inject({
      kind: 'http',
      status: 400,
      body: {
        error: {
          code: 400,
          message: "The resource 'projects/p2/zones/us-central1-a/instanceGroupManagers/g' is not ready",
          errors: [
            {
              message: "The resource 'projects/p2/zones/us-central1-a/instanceGroupManagers/g' is not ready",
              domain: 'global',
              reason: 'resourceNotReady',
            },
          ],
        },
      },
      match: isResize,
    });
    const error = await actuator.setCapacity({ poolId: 'spot-a', desired: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceBusyError);
    expect(error).toMatchObject({
      retryable: false,
      resource: 'projects/p2/zones/us-central1-a/instanceGroupManagers/g',
    });
    expect(resizes()).toBe(1);
  });

  it('a quota error on the call is an InsufficientCapacityError for the pool (another pool can be tried)', async () => {
    fake.inject({
      kind: 'http',
      status: 403,
      body: {
        error: {
          code: 403,
          message: "Quota 'NVIDIA_A100_GPUS' exceeded. Limit: 8.0 in region us-central1. QUOTA_EXCEEDED",
          status: 'PERMISSION_DENIED',
        },
      },
      match: isResize,
    });
    const launch = actuator.launchCapacity({
      poolId: 'spot-a',
      instanceType: 'a2-highgpu-1g',
      capacityType: 'spot',
      count: 1,
    });
    // Launch maps capacity errors with the pool's coordinates.
    await expect(launch).rejects.toSatisfy(
      (e: unknown) => e instanceof ProviderRejectedError || e instanceof InsufficientCapacityError,
    );
  });

  it('a missing group is a non-retryable NOT_FOUND', async () => {
    const missing = actuatorFor(t, {
      pools: { 'spot-a': { kind: 'mig', project: 'p2', zone: 'us-central1-a', name: 'nope' } },
    });
    await expect(missing.readCapacity('t')).rejects.toMatchObject({
      name: 'ProviderRejectedError',
      code: 'NOT_FOUND',
      retryable: false,
    });
  });
});

describe('regional managed instance groups', () => {
  it('observes and resizes through the regional API', async () => {
    fake.requests.length = 0;
    fake.addMig({
      project: 'p3',
      scope: 'regions/us-central1',
      name: 'serve',
      targetSize: 1,
      instanceTemplate: 'projects/p3/global/instanceTemplates/g2',
      machineType: 'g2-standard-8',
      running: 1,
    });
    const t = TargetSchema.parse({
      id: 'llm',
      kind: 'inference-endpoint',
      provider: 'gcp',
      pools: [{ id: 'od', instanceType: 'g2-standard-8' }],
    });
    const actuator = actuatorFor(t, {
      pools: { od: { kind: 'mig', project: 'p3', region: 'us-central1', name: 'serve' } },
    });
    expect((await actuator.readCapacity('llm')).pools[0]).toMatchObject({
      instanceType: 'g2-standard-8',
      desired: 1,
      ready: 1,
    });
    await actuator.setCapacity({ poolId: 'od', desired: 3 });
    expect(
      requestsTo('POST /compute/v1/projects/p3/regions/us-central1/instanceGroupManagers/serve/resize'),
    ).toHaveLength(1);
  });

  it('refuses a binding with both or neither of zone and region', () => {
    expect(() =>
      GcpResourceSchema.parse({ provider: 'gcp', pools: { a: { kind: 'mig', project: 'p', name: 'n' } } }),
    ).toThrow(/exactly one of zone or region/);
    expect(() =>
      GcpResourceSchema.parse({
        provider: 'gcp',
        pools: { a: { kind: 'mig', project: 'p', name: 'n', zone: 'z', region: 'r' } },
      }),
    ).toThrow(/exactly one/);
  });
});

describe('GKE node pools', () => {
  const t = target([{ id: 'np', instanceType: 'a2-highgpu-1g', capacityType: 'spot' }]);
  const nodePool = 'projects/p4/locations/us-central1-a/clusters/c1/nodePools/gpu';
  const setup = (autoscaling: boolean) => {
    fake.requests.length = 0;
    fake.addMig({
      project: 'p4',
      scope: 'zones/us-central1-a',
      name: 'gke-c1-gpu-grp',
      targetSize: 1,
      instanceTemplate: 'projects/p4/global/instanceTemplates/gke-gpu',
      machineType: 'a2-highgpu-1g',
      running: 1,
    });
    fake.nodePools.set(nodePool, {
      name: nodePool,
      autoscaling: autoscaling ? { enabled: true, minNodeCount: 0, maxNodeCount: 8 } : { enabled: false },
      config: { machineType: 'a2-highgpu-1g', spot: true },
      mig: 'projects/p4/zones/us-central1-a/instanceGroupManagers/gke-c1-gpu-grp',
    });
  };
  const binding = (takeOverAutoscaler: boolean) => ({
    pools: {
      np: {
        kind: 'gke-node-pool',
        project: 'p4',
        location: 'us-central1-a',
        cluster: 'c1',
        nodePool: 'gpu',
        takeOverAutoscaler,
      },
    },
  });

  it('sets the size of a pool Tide manages, and reads it from the group behind the pool', async () => {
    setup(false);
    const actuator = actuatorFor(t, binding(false));
    expect((await actuator.readCapacity('t')).pools[0]).toMatchObject({
      desired: 1,
      ready: 1,
      instanceType: 'a2-highgpu-1g',
    });
    await actuator.setCapacity({ poolId: 'np', desired: 3 });
    expect(requestsTo(':setSize').map((r) => r.body)).toEqual([{ nodeCount: 3 }]);
    fake.advance();
    expect((await actuator.readCapacity('t')).pools[0]).toMatchObject({ desired: 3, ready: 3 });
  });

  it('refuses to fight the cluster autoscaler: a typed error, and no size change sent', async () => {
    setup(true);
    const actuator = actuatorFor(t, binding(false));
    await expect(actuator.setCapacity({ poolId: 'np', desired: 3 })).rejects.toBeInstanceOf(GkeAutoscalerConflictError);
    expect(requestsTo(':setSize')).toHaveLength(0);
    expect(requestsTo(':setAutoscaling')).toHaveLength(0);
  });

  it('takes over when told to: autoscaler off, then the size; releasing restores what it found', async () => {
    setup(true);
    const actuator = actuatorFor(t, binding(true));
    await actuator.setCapacity({ poolId: 'np', desired: 2 });
    expect(requestsTo(':setAutoscaling').map((r) => r.body)).toEqual([{ autoscaling: { enabled: false } }]);
    expect(fake.nodePools.get(nodePool)?.autoscaling.enabled).toBe(false);
    expect(requestsTo(':setSize').map((r) => r.body)).toEqual([{ nodeCount: 2 }]);
    await actuator.release();
    expect(fake.nodePools.get(nodePool)?.autoscaling).toMatchObject({
      enabled: true,
      minNodeCount: 0,
      maxNodeCount: 8,
    });
  });
});

describe('Vertex AI endpoints', () => {
  const endpoint = 'projects/p5/locations/us-central1/endpoints/123';
  const t = TargetSchema.parse({
    id: 'llm',
    kind: 'inference-endpoint',
    provider: 'gcp',
    pools: [{ id: 'serve', instanceType: 'g2-standard-8' }],
  });
  const resources = {
    pools: {
      serve: {
        kind: 'vertex-endpoint',
        project: 'p5',
        location: 'us-central1',
        endpoint: '123',
        deployedModelId: 'dm1',
      },
    },
  };
  beforeEach(() => {
    fake.requests.length = 0;
    fake.endpoints.set(endpoint, {
      name: endpoint,
      deployedModels: [
        {
          id: 'dm1',
          createTime: '2025-06-01T00:00:00Z',
          model: 'projects/p5/locations/us-central1/models/llama',
          dedicatedResources: { machineSpec: { machineType: 'g2-standard-8' }, minReplicaCount: 1, maxReplicaCount: 1 },
        },
      ],
      trafficSplit: { dm1: 100 },
    });
  });

  it('sets the replica count as min = max, with the field mask', async () => {
    const actuator = actuatorFor(t, resources);
    await actuator.setCapacity({ poolId: 'serve', desired: 3 });
    const [request] = requestsTo(':mutateDeployedModel');
    expect(request?.body).toMatchObject({
      deployedModel: { id: 'dm1', dedicatedResources: { minReplicaCount: 3, maxReplicaCount: 3 } },
      updateMask: 'dedicated_resources.min_replica_count,dedicated_resources.max_replica_count',
    });
    expect((await actuator.readCapacity('llm')).pools[0]).toMatchObject({ desired: 3, ready: 3 });
  });

  it('refuses 0 replicas with a typed error (dedicated resources keep one)', async () => {
    await expect(actuatorFor(t, resources).setCapacity({ poolId: 'serve', desired: 0 })).rejects.toBeInstanceOf(
      VertexMinimumReplicaError,
    );
    expect(requestsTo(':mutateDeployedModel')).toHaveLength(0);
  });

  it('scales up over ticks: deploy on the bigger machine with no traffic, shift the traffic, undeploy the old', async () => {
    const actuator = actuatorFor(t, resources);
    await actuator.changeInstanceType({ poolId: 'serve', toInstanceType: 'g2-standard-24', count: 2 });
    const [deploy] = requestsTo(':deployModel');
    expect(deploy?.body).toMatchObject({
      deployedModel: {
        model: 'projects/p5/locations/us-central1/models/llama',
        dedicatedResources: { machineSpec: { machineType: 'g2-standard-24' }, minReplicaCount: 2 },
      },
      trafficSplit: { dm1: 100, '0': 0 },
    });
    // Tick 1: the old model still serves all the traffic; the new one is capacity on its way.
    expect((await actuator.readCapacity('llm')).pools[0]).toMatchObject({
      instanceType: 'g2-standard-8',
      ready: 1,
      pending: 2,
    });
    // A redelivery does not deploy twice.
    await actuator.changeInstanceType({ poolId: 'serve', toInstanceType: 'g2-standard-24', count: 2 });
    expect(requestsTo(':deployModel')).toHaveLength(1);
    await actuator.advance(); // shift
    expect((await actuator.readCapacity('llm')).pools[0]).toMatchObject({ instanceType: 'g2-standard-24', ready: 2 });
    await actuator.advance(); // undeploy
    expect(requestsTo(':undeployModel').map((r) => (r.body as { deployedModelId: string }).deployedModelId)).toEqual([
      'dm1',
    ]);
    expect(
      fake.endpoints.get(endpoint)?.deployedModels.map((m) => m.dedicatedResources.machineSpec.machineType),
    ).toEqual(['g2-standard-24']);
  });
});

describe('Vertex AI endpoints: scale to zero where Vertex allows it', () => {
  const endpoint = 'projects/p6/locations/us-central1/endpoints/456';
  const t = TargetSchema.parse({
    id: 'llm-idle',
    kind: 'inference-endpoint',
    provider: 'gcp',
    pools: [{ id: 'serve', instanceType: 'g2-standard-8' }],
  });
  const binding = {
    kind: 'vertex-endpoint',
    project: 'p6',
    location: 'us-central1',
    endpoint: '456',
    deployedModelId: 'dm1',
    scaleToZero: true,
  };
  const resources = { pools: { serve: binding } };
  const deployedWith = (scaleToZeroSpec: object | undefined) => {
    fake.requests.length = 0;
    fake.endpoints.set(endpoint, {
      name: endpoint,
      deployedModels: [
        {
          id: 'dm1',
          createTime: '2025-06-01T00:00:00Z',
          model: 'projects/p6/locations/us-central1/models/llama',
          dedicatedResources: {
            machineSpec: { machineType: 'g2-standard-8' },
            minReplicaCount: 2,
            maxReplicaCount: 2,
            ...(scaleToZeroSpec ? { initialReplicaCount: 1, scaleToZeroSpec } : {}),
          },
          ...(scaleToZeroSpec ? { status: { availableReplicaCount: 2 } } : {}),
        },
      ],
      trafficSplit: { dm1: 100 },
    });
  };
  const spec = { minScaleupPeriod: '600s', idleScaledownPeriod: '1800s' };

  it('goes to 0 and back through v1beta1: min 0 with max = initialReplicaCount, then observes a request waking it', async () => {
    deployedWith(spec);
    const actuator = actuatorFor(t, resources);
    expect((await actuator.readCapacity('llm-idle')).pools[0]).toMatchObject({ desired: 2, ready: 2 });
    await actuator.setCapacity({ poolId: 'serve', desired: 0 });
    const [toZero] = requestsTo(':mutateDeployedModel');
    expect(toZero?.path).toBe(`/v1beta1/${endpoint}:mutateDeployedModel`);
    expect(toZero?.body).toMatchObject({
      deployedModel: { id: 'dm1', dedicatedResources: { minReplicaCount: 0, maxReplicaCount: 1 } },
    });
    // Idle at the local endpoint: Vertex released the replicas.
    expect((await actuator.readCapacity('llm-idle')).pools[0]).toMatchObject({ desired: 0, ready: 0 });
    // A request wakes initialReplicaCount replicas; Tide sees them ready while its floor stays 0.
    fake.endpoints.get(endpoint)!.deployedModels[0]!.status = { availableReplicaCount: 1 };
    expect((await actuator.readCapacity('llm-idle')).pools[0]).toMatchObject({ desired: 0, ready: 1 });
    await actuator.setCapacity({ poolId: 'serve', desired: 3 });
    expect(fake.endpoints.get(endpoint)!.deployedModels[0]!.dedicatedResources).toMatchObject({
      minReplicaCount: 3,
      maxReplicaCount: 3,
      scaleToZeroSpec: spec,
    });
    // Every call of this binding went to the v1beta1 surface (v1 would drop the spec).
    expect(fake.requests.filter((r) => r.path.includes(endpoint)).every((r) => r.path.startsWith('/v1beta1/'))).toBe(
      true,
    );
  });

  it('a model deployed without a scaleToZeroSpec stays at 1 or more: a typed error naming the spec, nothing sent', async () => {
    deployedWith(undefined);
    const actuator = actuatorFor(t, resources);
    const failure = actuator.setCapacity({ poolId: 'serve', desired: 0 });
    await expect(failure).rejects.toBeInstanceOf(VertexMinimumReplicaError);
    await expect(failure).rejects.toThrow(/dm1 has no scaleToZeroSpec/);
    expect(requestsTo(':mutateDeployedModel')).toHaveLength(0);
    // And the local endpoint refuses min 0 without the spec, as Vertex does.
    await expect(
      clients.endpointsBeta.mutateDeployedModel(
        {
          endpoint,
          deployedModel: { id: 'dm1', dedicatedResources: { minReplicaCount: 0, maxReplicaCount: 1 } },
          updateMask: { paths: ['dedicated_resources.min_replica_count'] },
        },
        { timeout: 10_000, retry: null },
      ),
    ).rejects.toThrow(/minReplicaCount must be at least 1/);
  });

  it('a bigger machine keeps scaling to zero: deployed with the same spec, min 0 and initialReplicaCount = the count', async () => {
    deployedWith(spec);
    const actuator = actuatorFor(t, resources);
    await actuator.changeInstanceType({ poolId: 'serve', toInstanceType: 'g2-standard-24', count: 2 });
    const [deploy] = requestsTo(':deployModel');
    expect(deploy?.path).toBe(`/v1beta1/${endpoint}:deployModel`);
    expect(deploy?.body).toMatchObject({
      deployedModel: {
        dedicatedResources: {
          machineSpec: { machineType: 'g2-standard-24' },
          minReplicaCount: 0,
          initialReplicaCount: 2,
          maxReplicaCount: 2,
          scaleToZeroSpec: spec,
        },
      },
    });
    // Created with its initial replicas: capacity on its way until the traffic moves.
    expect((await actuator.readCapacity('llm-idle')).pools[0]).toMatchObject({ ready: 2, pending: 2 });
    await actuator.advance(); // shift
    expect((await actuator.readCapacity('llm-idle')).pools[0]).toMatchObject({
      instanceType: 'g2-standard-24',
      ready: 2,
    });
  });
});

describe('tide validate: a Google Cloud resource block', () => {
  const base = {
    id: 'llm',
    kind: 'inference-endpoint',
    provider: 'gcp',
    pools: [{ id: 'serve', instanceType: 'g2-standard-8' }],
  };
  it('needs a resource for every pool and none for a pool that does not exist, naming the field', () => {
    const result = TargetSchema.safeParse({
      ...base,
      resource: { provider: 'gcp', pools: { other: { kind: 'mig', project: 'p', zone: 'z', name: 'n' } } },
    });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^resource\.pools\.other: names no pool of this target/),
        expect.stringMatching(/^resource\.pools: every pool needs its Google Cloud resource; pool "serve" has none/),
      ]),
    );
  });
  it('explains the floor of 1 on a Vertex AI endpoint', async () => {
    const { policyProblemsForTarget } = await import('../../../core/schema/target.ts');
    const target = TargetSchema.parse({
      ...base,
      resource: {
        provider: 'gcp',
        pools: {
          serve: {
            kind: 'vertex-endpoint',
            project: 'p',
            location: 'us-central1',
            endpoint: '1',
            deployedModelId: 'd',
          },
        },
      },
    });
    expect(policyProblemsForTarget({ minCapacity: 0 }, target)).toEqual([
      expect.objectContaining({
        path: 'minCapacity',
        received: 0,
        message: expect.stringMatching(
          /keeps at least one replica unless it was deployed with Vertex AI's scale to zero .*set resource\.pools\.serve\.scaleToZero, was: 0$/,
        ),
      }),
    ]);
    expect(policyProblemsForTarget({ minCapacity: 1 }, target)).toEqual([]);
  });
  it('allows a floor of 0 for a model deployed with scale to zero', async () => {
    const { policyProblemsForTarget } = await import('../../../core/schema/target.ts');
    const vertex = {
      kind: 'vertex-endpoint',
      project: 'p',
      location: 'us-central1',
      endpoint: '1',
      deployedModelId: 'd',
    };
    const target = (pools: Record<string, object>) =>
      TargetSchema.parse({
        ...base,
        pools: Object.keys(pools).map((id) => ({ id, instanceType: 'g2-standard-8' })),
        resource: { provider: 'gcp', pools },
      });
    expect(policyProblemsForTarget({ minCapacity: 0 }, target({ serve: { ...vertex, scaleToZero: true } }))).toEqual(
      [],
    );
    // One pool that cannot go to zero is enough to keep the floor, and the message names that pool.
    expect(
      policyProblemsForTarget(
        { minCapacity: 0 },
        target({ a: { ...vertex, scaleToZero: true }, b: { ...vertex, deployedModelId: 'e' } }),
      ),
    ).toEqual([expect.objectContaining({ message: expect.stringContaining('resource.pools.b.scaleToZero') })]);
  });
});
