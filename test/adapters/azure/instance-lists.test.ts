/**
 * A scale set's instance list reused for a bounded time (adapters/azure/instance-lists.ts, over
 * adapters/shared-reads.ts, whose bounds have tests of their own): through the real arm-compute client against
 * the local ARM endpoint, which reads are saved and which are not; and which scale set fields the list is valid for.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureActuator } from '../../../adapters/azure/actuator.ts';
import type { AzureClients } from '../../../adapters/azure/clients.ts';
import { instanceListMaxAgeFromEnv } from '../../../adapters/azure/clients.ts';
import { sameSignature, type ScaleSetSignature } from '../../../adapters/azure/instance-lists.ts';
import { createMemoryOperationStore } from '../../../adapters/azure/operations.ts';
import { TargetSchema, type Target } from '../../../core/schema/target.ts';
import { RESOURCE_GROUP, startAzureFake, SUBSCRIPTION, type AzureFake } from '../../support/azure-fake.ts';
import { azureClientsFor, TEST_AZURE_POLICY } from './support.ts';

let fake: AzureFake;

beforeAll(async () => {
  fake = await startAzureFake();
}, 30_000);
afterAll(async () => {
  await fake.close();
});

const target = (name: string): Target =>
  TargetSchema.parse({
    id: `t-${name}`,
    kind: 'inference-endpoint',
    provider: 'azure',
    pools: [{ id: 'serve', instanceType: 'Standard_NC24ads_A100_v4' }],
    resource: {
      provider: 'azure',
      subscriptionId: SUBSCRIPTION,
      pools: { serve: { kind: 'vmss', resourceGroup: RESOURCE_GROUP, name } },
    },
  });

const lists = (name: string) =>
  fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/virtualMachineScaleSets/${name}/virtualMachines`))
    .length;
const gets = (name: string) =>
  fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/virtualMachineScaleSets/${name}`)).length;

describe('observing a scale set with its instance list reused (a minute here, so no test waits on it; the scale set read every time)', () => {
  let clients: AzureClients;
  let n = 0;
  let name: string;
  // A new actuator per observation, as the functions make one per delivery: the reuse is the clients'.
  const observe = () =>
    new AzureActuator(target(name), { clients, policy: TEST_AZURE_POLICY, operations }).readCapacity(`t-${name}`);
  const operations = createMemoryOperationStore();

  beforeAll(() => {
    clients = azureClientsFor(fake, 60_000);
  });
  beforeEach(() => {
    name = `vmss-reuse-${n++}`;
    fake.addScaleSet({ name, sku: 'Standard_NC24ads_A100_v4', capacity: 3 });
  });

  it('reads the scale set every time and lists its instances once while it is unchanged', async () => {
    const first = await observe();
    const second = await observe();
    expect(second.pools).toEqual(first.pools);
    expect([gets(name), lists(name)]).toEqual([2, 1]);
  });

  it('concurrent observations share one list (and, with the mode known, list beside the scale set read)', async () => {
    await observe();
    clients.forgetScaleSet(
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`,
    );
    const before = lists(name);
    await Promise.all([observe(), observe(), observe()]);
    expect(lists(name) - before).toBe(1);
  });

  it("lists again after Tide's own change, and after an operation of it ends", async () => {
    await observe();
    await new AzureActuator(target(name), { clients, policy: TEST_AZURE_POLICY, operations }).setCapacity({
      poolId: 'serve',
      desired: 5,
    });
    const during = await observe();
    expect(lists(name)).toBe(2);
    expect(during.pools[0]).toMatchObject({ desired: 5, ready: 3, pending: 2 });
    fake.advance(); // the update ends: the scale set goes from Updating to Succeeded, a change the read shows
    expect((await observe()).pools[0]).toMatchObject({ desired: 5, ready: 5, pending: 0 });
    expect(lists(name)).toBe(3);
    // A released instance: ARM's deleteInstances leaves the scale set looking the same when it ends (Succeeded,
    // the capacity already lowered at the request), so the list is dropped when Tide sees the operation end.
    const actuator = new AzureActuator(target(name), { clients, policy: TEST_AZURE_POLICY, operations });
    await actuator.drainAndRelease({ poolId: 'serve', instanceId: `${name}_0` });
    expect((await observe()).pools[0]!.nodes!.find((node) => node.id === `${name}_0`)?.state).toBe('draining');
    fake.advance();
    expect((await observe()).pools[0]!.nodes!.map((node) => node.id)).toContain(`${name}_0`); // reused: Tide has not polled
    expect((await actuator.advance()).notes.join(' ')).toContain('deleteInstances');
    expect((await observe()).pools[0]!.nodes!.map((node) => node.id)).not.toContain(`${name}_0`);
  });

  it("lists again when the scale set itself changed under it (someone else's capacity, a state, an etag)", async () => {
    await observe();
    fake.scaleSets.get(name)!.sku.capacity = 4; // another tool changed it: the fresh read differs
    const changed = await observe();
    expect(lists(name)).toBe(2);
    expect(changed.pools[0]).toMatchObject({ desired: 4 });
    fake.scaleSets.get(name)!.provisioningState = 'Updating';
    await observe();
    expect(lists(name)).toBe(3);
  });

  it('a failed list is not kept', async () => {
    await observe();
    clients.forgetScaleSet(
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`,
    );
    fake.inject({
      kind: 'http',
      status: 409,
      code: 'Conflict',
      match: (r) => r.path.endsWith(`${name}/virtualMachines`),
    });
    await expect(observe()).rejects.toThrow();
    const before = lists(name);
    await observe();
    expect(lists(name) - before).toBe(1);
  });
});

describe('observing a scale set with its own read shared while it is at rest (a minute here)', () => {
  let clients: AzureClients;
  let n = 0;
  let name: string;
  const operations = createMemoryOperationStore();
  const actuator = () => new AzureActuator(target(name), { clients, policy: TEST_AZURE_POLICY, operations });
  const observe = () => actuator().readCapacity(`t-${name}`);

  beforeAll(() => {
    clients = azureClientsFor(fake, 60_000, 60_000);
  });
  beforeEach(() => {
    name = `vmss-shared-${n++}`;
    fake.addScaleSet({ name, sku: 'Standard_NC24ads_A100_v4', capacity: 3 });
  });

  it("one read of the scale set and one list for a burst; Tide's change forgets both; an updating scale set is read every time", async () => {
    const burst = await Promise.all([observe(), observe(), observe()]);
    await observe();
    expect([gets(name), lists(name)]).toEqual([1, 1]);
    for (const observed of burst) expect(observed.pools).toEqual(burst[0]!.pools);
    await actuator().setCapacity({ poolId: 'serve', desired: 5 });
    expect((await observe()).pools[0]).toMatchObject({ desired: 5, ready: 3, pending: 2 });
    await observe(); // Updating: not kept
    expect(gets(name)).toBe(3);
    fake.advance(); // the update ends (Succeeded): kept again
    expect((await observe()).pools[0]).toMatchObject({ desired: 5, ready: 5, pending: 0 });
    await observe();
    expect(gets(name)).toBe(4);
  });

  it('never shares it longer than the instance list may be (TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS=0 shares nothing)', () => {
    expect(azureClientsFor(fake, 0, 60_000).scaleSetMaxAgeMs).toBe(0);
    expect(azureClientsFor(fake, 500, 60_000).scaleSetMaxAgeMs).toBe(500);
  });
});

describe('what an instance list is valid for, and the setting', () => {
  const signature: ScaleSetSignature = { capacity: 2, sku: 'A', provisioningState: 'Succeeded', etag: '"1"' };

  it.each([{ capacity: 3 }, { sku: 'B' }, { provisioningState: 'Updating' }, { etag: '"2"' }])(
    'a scale set read that differs in %o does not share the list',
    (changed) => {
      expect(sameSignature(signature, { ...signature })).toBe(true);
      expect(sameSignature(signature, { ...signature, ...changed })).toBe(false);
    },
  );

  it.each([
    ['unset', undefined, undefined],
    ['0', '0', 0],
    ['2500', '2500', 2500],
  ])('TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS %s', (_label, raw, expected) => {
    expect(instanceListMaxAgeFromEnv({ TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS: raw })).toBe(expected);
  });

  it.each(['-1', '10001', '1.5', 'soon'])(
    'TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS=%s is refused, naming the value',
    (raw) => {
      expect(() => instanceListMaxAgeFromEnv({ TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS: raw })).toThrow(
        new RegExp(`TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS must be 0-10000 \\(ms\\), was: "${raw.replace('.', '\\.')}"`),
      );
    },
  );
});
