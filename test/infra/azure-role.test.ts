/**
 * The custom role in infra/azure/main.json (the nested deployment tide-actuator-role) grants exactly what the adapters call: every request the real
 * clients sent to the local ARM endpoint while every actuator action and the metric reader ran is mapped to
 * the ARM action Microsoft documents for it (learn.microsoft.com/azure/role-based-access-control/
 * permissions/compute, /ai-machine-learning, /monitor), and the set must equal the role's list (more is a
 * grant nobody uses; less is a call that fails in production with AuthorizationFailed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AzureActuator } from '../../adapters/azure/actuator.ts';
import type { AzureClients } from '../../adapters/azure/clients.ts';
import { readAzureMetrics } from '../../adapters/azure/metrics.ts';
import { createMemoryOperationStore } from '../../adapters/azure/operations.ts';
import { AzureMetricBindingSchema } from '../../core/schema/resource-azure.ts';
import { TargetSchema } from '../../core/schema/target.ts';
import { azureClientsFor, TEST_AZURE_POLICY } from '../adapters/azure/support.ts';
import {
  RESOURCE_GROUP,
  startAzureFake,
  SUBSCRIPTION,
  type AzureFake,
  type RecordedRequest,
} from '../support/azure-fake.ts';

/**
 * Request → actions. Scaling a scale set out creates NICs in its subnet: ARM's linked access check asks for
 * `subnets/join/action` on it too (a scale set behind a load balancer also needs its backend pool's
 * `join/action`; add it to the role if yours is).
 */
const ACTIONS: [method: string, path: RegExp, actions: string[]][] = [
  ['GET', /\/virtualMachineScaleSets\/[^/]+$/, ['Microsoft.Compute/virtualMachineScaleSets/read']],
  [
    'PATCH',
    /\/virtualMachineScaleSets\/[^/]+$/,
    ['Microsoft.Compute/virtualMachineScaleSets/write', 'Microsoft.Network/virtualNetworks/subnets/join/action'],
  ],
  ['POST', /\/virtualMachineScaleSets\/[^/]+\/delete$/, ['Microsoft.Compute/virtualMachineScaleSets/delete/action']],
  [
    'GET',
    /\/virtualMachineScaleSets\/[^/]+\/virtualMachines$/,
    ['Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read'],
  ],
  ['GET', /\/providers\/Microsoft\.Compute\/virtualMachines$/, ['Microsoft.Compute/virtualMachines/read']],
  [
    'GET',
    /\/providers\/Microsoft\.Compute\/locations\/[^/]+\/operations\/[^/]+$/,
    ['Microsoft.Compute/locations/operations/read'],
  ],
  // The ML client's begin* methods poll the operation's status once after the request (not until done).
  [
    'GET',
    /\/providers\/Microsoft\.MachineLearningServices\/locations\/[^/]+\/mfeOperationsStatus\/[^/]+$/,
    ['Microsoft.MachineLearningServices/locations/mfeOperationsStatus/read'],
  ],
  ['GET', /\/onlineEndpoints\/[^/]+$/, ['Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read']],
  ['PUT', /\/onlineEndpoints\/[^/]+$/, ['Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write']],
  ['GET', /\/deployments\/[^/]+$/, ['Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/read']],
  [
    'PATCH',
    /\/deployments\/[^/]+$/,
    ['Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write'],
  ],
  ['PUT', /\/deployments\/[^/]+$/, ['Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write']],
  [
    'DELETE',
    /\/deployments\/[^/]+$/,
    ['Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/delete'],
  ],
  ['GET', /\/providers\/Microsoft\.Insights\/autoscalesettings$/i, ['Microsoft.Insights/AutoscaleSettings/read']],
  [
    'PATCH',
    /\/providers\/Microsoft\.Insights\/autoscalesettings\/[^/]+$/i,
    ['Microsoft.Insights/AutoscaleSettings/write'],
  ],
  ['GET', /\/providers\/Microsoft\.Insights\/metrics$/i, ['Microsoft.Insights/Metrics/Read']],
];

function actionsOf(request: RecordedRequest): string[] {
  const row = ACTIONS.find(([method, path]) => method === request.method && path.test(request.path));
  if (!row) throw new Error(`no action mapping for ${request.method} ${request.path}: add the documented action`);
  return row[2];
}

function roleActions(): string[] {
  const template = JSON.parse(readFileSync(join(import.meta.dirname, '../../infra/azure/main.json'), 'utf8'));
  const deployment = template.resources.find((r: { name: string }) => r.name === 'tide-actuator-role');
  const role = deployment.properties.template.resources.find(
    (r: { type: string }) => r.type === 'Microsoft.Authorization/roleDefinitions',
  );
  return role.properties.permissions.flatMap((p: { actions: string[] }) => p.actions);
}

let fake: AzureFake;
let clients: AzureClients;
beforeAll(async () => {
  fake = await startAzureFake();
  clients = azureClientsFor(fake);
}, 30_000);
afterAll(() => fake.close());

it('the custom role grants exactly the actions of the calls the adapters make', async () => {
  fake.addScaleSet({ name: 'uniform', sku: 'Standard_ND96asr_v4', capacity: 2, upgradeMode: 'Rolling' });
  fake.addScaleSet({ name: 'flexible', sku: 'Standard_ND96asr_v4', capacity: 1, orchestrationMode: 'Flexible' });
  fake.addEndpoint({ name: 'llm-ep', deployment: 'blue', instanceType: 'Standard_NC24ads_A100_v4', capacity: 1 });
  fake.autoscaleSettings.push({
    subscriptionId: SUBSCRIPTION,
    resourceGroup: RESOURCE_GROUP,
    name: 'blue-autoscale',
    targetResourceUri: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/ws-ml/onlineEndpoints/llm-ep/deployments/blue`,
    enabled: true,
  });
  const operations = createMemoryOperationStore();
  const options = { clients, policy: TEST_AZURE_POLICY, operations, now: () => 1_000 };
  const train = new AzureActuator(
    TargetSchema.parse({
      id: 'train',
      kind: 'training-pool',
      provider: 'azure',
      pools: [
        { id: 'u', instanceType: 'Standard_ND96asr_v4', capacityType: 'spot' },
        { id: 'f', instanceType: 'Standard_ND96asr_v4', capacityType: 'on-demand' },
      ],
      resource: {
        provider: 'azure',
        subscriptionId: SUBSCRIPTION,
        pools: {
          u: { kind: 'vmss', resourceGroup: RESOURCE_GROUP, name: 'uniform' },
          f: { kind: 'vmss', resourceGroup: RESOURCE_GROUP, name: 'flexible' },
        },
      },
    }),
    options,
  );
  await train.observe();
  await train.setCapacity({ poolId: 'u', desired: 3 });
  await train.launchCapacity({ poolId: 'f', instanceType: 'Standard_ND96asr_v4', capacityType: 'on-demand', count: 1 });
  await train.drainAndRelease({ poolId: 'f', instanceId: 'flexible_0' });
  await train.changeInstanceType({ poolId: 'u', toInstanceType: 'Standard_ND96amsr_A100_v4', count: 3 });
  await train.advance();
  const serve = new AzureActuator(
    TargetSchema.parse({
      id: 'llm',
      kind: 'inference-endpoint',
      provider: 'azure',
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
            autoscale: 'take-over',
          },
        },
      },
    }),
    options,
  );
  await serve.observe();
  await serve.setCapacity({ poolId: 'main', desired: 2 });
  await serve.changeInstanceType({ poolId: 'main', toInstanceType: 'Standard_NC48ads_A100_v4', count: 2 });
  for (let tick = 0; tick < 4; tick++) {
    fake.advance();
    await serve.advance();
  }
  await serve.release();
  fake.metrics.set('Percentage CPU', 50);
  const [signal] = await readAzureMetrics(
    clients,
    SUBSCRIPTION,
    {
      cpu: AzureMetricBindingSchema.parse({
        resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachineScaleSets/uniform`,
        metricName: 'Percentage CPU',
      }),
    },
    Date.now(),
    TEST_AZURE_POLICY,
  );
  expect(signal).toMatchObject({ kind: 'metric', value: 50 });
  // The ML move ran all its steps: the old deployment is gone, the new one serves.
  expect([...fake.endpoints.get('ws-ml/llm-ep')!.deployments.keys()]).toEqual(['blue-nc48ads-a100-v4']);
  const seen = [...new Set(fake.requests.flatMap(actionsOf))].sort();
  expect(seen).toEqual([...roleActions()].sort());
});
