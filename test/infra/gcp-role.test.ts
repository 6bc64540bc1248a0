/**
 * The custom role in infra/gcp/main.tf grants exactly what the adapters call: every request the real clients
 * sent to the local endpoint while every actuator action and the metric reader ran is mapped to the IAM
 * permissions Google documents for it, and the set must equal the role's list (more is a grant nobody uses;
 * less is a call that fails in production with PERMISSION_DENIED).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GcpActuator } from '../../adapters/gcp/actuator.ts';
import type { GcpClients } from '../../adapters/gcp/clients.ts';
import { readGcpMetrics } from '../../adapters/gcp/metrics.ts';
import { GcpMetricBindingSchema } from '../../core/schema/resource-gcp.ts';
import { TargetSchema } from '../../core/schema/target.ts';
import { clientsFor, TEST_CALL_POLICY } from '../adapters/gcp/support.ts';
import { startGcpFake, type GcpFake, type RecordedRequest } from '../support/gcp-fake.ts';

/**
 * Request → permissions (cloud.google.com/compute/docs/access/iam-permissions, /kubernetes-engine/docs/how-to/
 * iam, /vertex-ai/docs/general/access-control, /monitoring/access-control). Deleting instances from a group
 * also needs `compute.instances.delete` on them; a group patched to a template needs `useReadOnly` on it;
 * deploying a model needs `aiplatform.models.deploy` on the model; reading a node pool's nodes needs
 * `container.nodes.list` for the cluster's node view.
 */
const PERMISSIONS: [method: string, path: RegExp, permissions: string[]][] = [
  ['GET', /\/instanceGroupManagers\/[^/]+$/, ['compute.instanceGroupManagers.get']],
  ['POST', /\/instanceGroupManagers\/[^/]+\/listManagedInstances$/, ['compute.instanceGroupManagers.get']],
  ['POST', /\/instanceGroupManagers\/[^/]+\/resize$/, ['compute.instanceGroupManagers.update']],
  [
    'POST',
    /\/instanceGroupManagers\/[^/]+\/deleteInstances$/,
    ['compute.instanceGroupManagers.update', 'compute.instances.delete'],
  ],
  [
    'PATCH',
    /\/instanceGroupManagers\/[^/]+$/,
    ['compute.instanceGroupManagers.update', 'compute.instanceTemplates.useReadOnly'],
  ],
  ['GET', /\/global\/instanceTemplates\/[^/]+$/, ['compute.instanceTemplates.get']],
  ['POST', /\/global\/instanceTemplates$/, ['compute.instanceTemplates.create']],
  ['GET', /\/clusters\/[^/]+\/nodePools\/[^/:]+$/, ['container.clusters.get', 'container.nodes.list']],
  ['POST', /\/nodePools\/[^/:]+:setSize$/, ['container.clusters.update']],
  ['POST', /\/nodePools\/[^/:]+:setAutoscaling$/, ['container.clusters.update']],
  ['GET', /\/endpoints\/[^/:]+$/, ['aiplatform.endpoints.get']],
  ['PATCH', /\/endpoints\/[^/:]+$/, ['aiplatform.endpoints.update']],
  ['POST', /\/endpoints\/[^/:]+:mutateDeployedModel$/, ['aiplatform.endpoints.update']],
  ['POST', /\/endpoints\/[^/:]+:deployModel$/, ['aiplatform.endpoints.deploy', 'aiplatform.models.deploy']],
  ['POST', /\/endpoints\/[^/:]+:undeployModel$/, ['aiplatform.endpoints.undeploy']],
  ['GET', /\/v3\/projects\/[^/]+\/timeSeries$/, ['monitoring.timeSeries.list']],
];

function permissionsOf(request: RecordedRequest): string[] {
  const row = PERMISSIONS.find(([method, path]) => method === request.method && path.test(request.path));
  if (!row)
    throw new Error(`no permission mapping for ${request.method} ${request.path}: add the documented permission`);
  return row[2];
}

function rolePermissions(): string[] {
  const terraform = readFileSync(join(import.meta.dirname, '../../infra/gcp/main.tf'), 'utf8');
  const block = /resource "google_project_iam_custom_role" "actuator" \{[\s\S]*?permissions = \[([\s\S]*?)\]/.exec(
    terraform,
  );
  if (!block?.[1]) throw new Error('no custom role in infra/gcp/main.tf');
  return [...block[1].matchAll(/"([a-z]+\.[A-Za-z.]+)"/g)].map((m) => m[1]!);
}

let fake: GcpFake;
let clients: GcpClients;
beforeAll(async () => {
  fake = await startGcpFake();
  clients = clientsFor(fake);
}, 60_000);
afterAll(async () => {
  await clients.close();
  await fake.close();
});

it('the custom role grants exactly the permissions of the calls the adapters made', { timeout: 60_000 }, async () => {
  fake.addMig({
    project: 'p',
    scope: 'zones/z',
    name: 'spot',
    targetSize: 1,
    instanceTemplate: 'projects/p/global/instanceTemplates/t',
    running: 1,
  });
  fake.addMig({
    project: 'p',
    scope: 'zones/z',
    name: 'gke-grp',
    targetSize: 1,
    instanceTemplate: 'projects/p/global/instanceTemplates/g',
    running: 1,
  });
  const nodePool = 'projects/p/locations/z/clusters/c/nodePools/np';
  fake.nodePools.set(nodePool, {
    name: nodePool,
    autoscaling: { enabled: true },
    config: { machineType: 'a2-highgpu-1g' },
    mig: 'projects/p/zones/z/instanceGroupManagers/gke-grp',
  });
  const endpoint = 'projects/p/locations/us-central1/endpoints/e';
  fake.endpoints.set(endpoint, {
    name: endpoint,
    deployedModels: [
      {
        id: 'd',
        createTime: '2025-01-01T00:00:00Z',
        model: 'projects/p/locations/us-central1/models/m',
        dedicatedResources: { machineSpec: { machineType: 'g2-standard-8' }, minReplicaCount: 1, maxReplicaCount: 1 },
      },
    ],
    trafficSplit: { d: 100 },
  });
  fake.metrics.set('aiplatform.googleapis.com/prediction/online/replicas', 2);
  const target = TargetSchema.parse({
    id: 't',
    kind: 'inference-endpoint',
    provider: 'gcp',
    pools: [
      { id: 'mig', instanceType: 'a2-highgpu-1g', capacityType: 'spot' },
      { id: 'gke', instanceType: 'a2-highgpu-1g' },
      { id: 'vertex', instanceType: 'g2-standard-8' },
    ],
    resource: {
      provider: 'gcp',
      pools: {
        mig: { kind: 'mig', project: 'p', zone: 'z', name: 'spot' },
        gke: {
          kind: 'gke-node-pool',
          project: 'p',
          location: 'z',
          cluster: 'c',
          nodePool: 'np',
          takeOverAutoscaler: true,
        },
        vertex: { kind: 'vertex-endpoint', project: 'p', location: 'us-central1', endpoint: 'e', deployedModelId: 'd' },
      },
    },
  });
  const actuator = new GcpActuator(target, { clients, policy: TEST_CALL_POLICY });
  const observed = await actuator.readCapacity('t');
  for (const poolId of ['mig', 'gke', 'vertex']) await actuator.setCapacity({ poolId, desired: 2 });
  await actuator.launchCapacity({ poolId: 'mig', instanceType: 'a2-highgpu-1g', capacityType: 'spot', count: 1 });
  await actuator.drainAndRelease({ poolId: 'mig', instanceId: observed.pools[0]!.nodes![0]!.id });
  await actuator.drainAndRelease({ poolId: 'gke', instanceId: observed.pools[1]!.nodes![0]!.id });
  await actuator.changeInstanceType({ poolId: 'mig', toInstanceType: 'a2-ultragpu-1g', count: 2 });
  await actuator.changeInstanceType({ poolId: 'vertex', toInstanceType: 'g2-standard-24', count: 2 });
  await actuator.advance();
  await actuator.advance();
  await actuator.release();
  await readGcpMetrics(
    clients,
    {
      replicas: GcpMetricBindingSchema.parse({
        project: 'p',
        type: 'aiplatform.googleapis.com/prediction/online/replicas',
      }),
    },
    Date.now(),
    TEST_CALL_POLICY,
  );

  const used = new Set(fake.requests.flatMap(permissionsOf));
  expect([...used].sort()).toEqual([...rolePermissions()].sort());
});
