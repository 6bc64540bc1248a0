import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide as coreDecide } from '../../../core/decide.ts';
import type { Target } from '../../../core/schema/target.ts';
import type { ActuatorResolver } from '../../../adapters/ports/actuator.ts';
import { createShell, type Decide } from '../../../functions/shell/shell.ts';
import { generateEvents, deliverAll } from './support/event-run.ts';
import { foldingDecide, observedFor, RecordingActuator, RecordingLogger } from './support/fakes.ts';
import { testPolicy, testTarget } from '../../adapters/state/fixtures.ts';
import { freshNamespace, startStoreSetup, type StoreKind, type StoreSetup } from '../../adapters/state/store-setup.ts';
import { verifyExactlyOnce } from './support/verify-run.ts';

/**
 * 50 function instances (each with its own client) take 2,000 deliveries for 10 targets, 20 % of them
 * redeliveries, in random order (300 over the Upstash REST bridge, where each call is an HTTP request: still
 * 50 instances racing on 10 targets, 30 deliveries per target; 600 took 30-42 s at load average 26). Every
 * event must be decided exactly once, no update lost, the final state equal to a serial replay, every action
 * executed once and in commit order.
 */
const INSTANCES = 50;
const NOW = Date.parse('2026-03-02T14:00:00Z');

let setup: StoreSetup;
beforeAll(async () => {
  setup = await startStoreSetup();
});
afterAll(async () => {
  await setup?.close();
});

const policy = testPolicy({
  minCapacity: 1,
  maxCapacity: 12,
  targetTracking: [{ metric: 'gpu_utilization', targetValue: 50 }],
  behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
});

const decides: [string, Decide][] = [
  ['a folding test decide', foldingDecide],
  ['the real decide', coreDecide],
];

const DELIVERIES: Record<StoreKind, number> = { memory: 2000, redis: 2000, upstash: 300 };

describe.each(['memory', 'redis', 'upstash'] as StoreKind[])('concurrency on the %s store', (kind) => {
  it.each(decides)(
    `${DELIVERIES[kind].toLocaleString('en-US')} deliveries, 50 instances, with %s: each event decided and acted on once`,
    async (_, decide) => {
      const namespace = freshNamespace(`concurrency-${kind}`);
      // The deadline tells a dead Redis from a busy one; 50 clients on a loaded 2-core machine are busy, not
      // dead, so a generous one (5 s, not the default 1 s). A commit answered after its deadline leaves its
      // event in progress until the lease ends, and the clock here stands still: the run would never finish.
      const stores = Array.from({ length: kind === 'memory' ? 1 : INSTANCES }, () =>
        setup.create(kind, { namespace, timeoutMs: 5_000 }),
      );
      const targets = new Map<string, Target>();
      for (let i = 0; i < 10; i++) {
        const target = testTarget(`target-${i}`);
        targets.set(target.id, target);
        await stores[0]!.putTarget(target);
        await stores[0]!.putPolicy(target.id, policy);
      }
      const { distinct, deliveries } = generateEvents({
        seed: 20261128,
        total: DELIVERIES[kind],
        targets: 10,
        duplicateShare: 0.2,
        now: NOW,
      });
      const actuator = new RecordingActuator();
      actuator.observed = async (target) => observedFor(target, 2, NOW);
      // Each set-capacity call takes 0 or 1 ms, so acting interleaves with other instances' commits.
      const actuators: ActuatorResolver = (target) => {
        const port = actuator.actuators(target);
        return {
          ...port,
          setCapacity: async (request) => {
            await new Promise((resolve) => setTimeout(resolve, Math.random() < 0.5 ? 0 : 1));
            await port.setCapacity(request);
          },
        };
      };
      const shells = Array.from({ length: INSTANCES }, (_, i) =>
        createShell({
          store: stores[i % stores.length]!,
          decide,
          actuators,
          clock: { now: () => NOW },
          logger: new RecordingLogger(),
        }),
      );

      const report = await deliverAll({ shells, deliveries });

      expect(report.failed).toEqual([]);
      const statuses = [...report.results.values()].flat().map((result) => result.status);
      expect(statuses.filter((status) => status === 'decided')).toHaveLength(distinct.length);
      expect(statuses.filter((status) => status === 'duplicate')).toHaveLength(deliveries.length - distinct.length);
      expect(statuses.filter((status) => status !== 'decided' && status !== 'duplicate')).toEqual([]);
      const checked = await verifyExactlyOnce({ store: stores[0]!, distinct, decide, targets, policy, actuator });
      expect(checked.withActions).toBeGreaterThan(0);
      // Long, not timed: 2,000 deliveries through 50 clients over HTTP took 55-60 s on a loaded 2-core machine.
    },
    60_000,
  );
});
