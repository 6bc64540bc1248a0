/**
 * Group spend caps end to end: two targets in one group, the real decide, the shell reading the group's
 * spend in its load round trip and recording each target's spend with its commit, on every store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../core/decide.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { TargetSchema, type Target } from '../../../core/schema/target.ts';
import type { StateStore } from '../../../adapters/ports/state-store.ts';
import { createShell } from '../../../functions/shell/shell.ts';
import { freshNamespace, startStoreSetup, type StoreKind, type StoreSetup } from '../../adapters/state/store-setup.ts';
import { metricSignal, observedFor, RecordingActuator, RecordingLogger } from './support/fakes.ts';

const T0 = Date.parse('2026-03-09T14:00:00Z');

let setup: StoreSetup;
beforeAll(async () => {
  setup = await startStoreSetup();
}, 60_000);
afterAll(async () => {
  await setup?.close();
});

const target = (id: string, group?: string): Target =>
  TargetSchema.parse({
    id,
    kind: 'inference-endpoint',
    provider: 'aws',
    region: 'us-east-1',
    ...(group ? { group } : {}),
    pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand' }],
  });

/** 60 % GPU target; each target alone may grow from 4 to 6 replicas (about $9.09/h), within its own caps. */
const policy = (groupUsdPerHour: number | null) =>
  PolicySchema.parse({
    minCapacity: 1,
    maxCapacity: 10,
    targetTracking: [{ metric: 'gpu_utilization', targetValue: 60 }],
    spendCaps: { groupUsdPerHour },
  });

async function run(kind: StoreKind, groupCap: number | null, group: string | undefined) {
  const store: StateStore = setup.create(kind, { namespace: freshNamespace(kind) }, () => T0);
  for (const id of ['chat-a', 'chat-b']) {
    await store.putTarget(target(id, group));
    await store.putPolicy(id, policy(groupCap));
  }
  const actuator = new RecordingActuator();
  // Both run 4 ready replicas at 90 %: each wants ceil(4 × 90 / 60) = 6.
  actuator.observed = async (t) => observedFor(t, 4, T0);
  const shell = createShell({
    store,
    decide,
    actuators: actuator.actuators,
    clock: { now: () => T0 },
    logger: new RecordingLogger(),
    options: { retryDelayMs: 1 },
  });
  const a = await shell.handle({ targetId: 'chat-a', signal: metricSignal('ea', 90, T0) });
  const b = await shell.handle({ targetId: 'chat-b', signal: metricSignal('eb', 90, T0) });
  return { a: a.decision, b: b.decision, store };
}

describe.each(['memory', 'redis', 'upstash'] as StoreKind[])('group spend caps on the %s store', (kind) => {
  it('bind across two targets: the second is held by what the first now spends', async () => {
    // $12/h for the group: the first target's 6 replicas (~$9.09/h) leave ~$2.91/h, less than the second
    // target already spends at 4, so it may add nothing.
    const { a, b, store } = await run(kind, 12, 'chat');
    expect(a.desiredCapacity).toBe(6);
    expect(b.desiredCapacity).toBe(4);
    expect(b.actions).toEqual([]);
    expect(b.holds.map((h) => h.reason).join('\n')).toMatch(/group chat spend cap \$12(\.00)?\/h/);
    // What the load round trip gave the second target: the first one's recorded spend, in that one trip.
    const trips = () => (store as unknown as { roundTrips: number }).roundTrips;
    const before = trips();
    const snapshot = await store.load('chat-b', 'next');
    expect(trips() - before).toBe(1);
    expect(snapshot.group?.members.map((m) => m.targetId).sort()).toEqual(['chat-a', 'chat-b']);
    expect(snapshot.group?.members.find((m) => m.targetId === 'chat-a')?.usdPerHour).toBeCloseTo(
      a.cost!.afterUsdPerHour,
      6,
    );
  });

  it.each([
    { label: 'without a group cap', cap: null, group: 'chat' },
    { label: 'for targets in different groups', cap: 12, group: undefined },
  ])('does not bind $label: both grow to 6', async ({ cap, group }) => {
    const { a, b } = await run(kind, cap, group);
    expect([a.desiredCapacity, b.desiredCapacity]).toEqual([6, 6]);
  });
});
