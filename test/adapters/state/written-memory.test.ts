/**
 * A store reads back the memory it committed itself without validating it again (adapters/state/codec.ts,
 * WrittenMemory). That is sound only if (1) the memory `decide` returns is already what the schema gives for
 * its JSON, on every path (inference, spot, training, spend), and (2) `decide` never changes the memory it
 * is given, since the committed object is handed to the next decision. Both are checked here over random
 * runs; then the store: its own text comes back as the same object, any other text is validated.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WrittenMemory } from '../../../adapters/state/codec.ts';
import { StateCorruptError } from '../../../adapters/state/errors.ts';
import { stateKeys } from '../../../adapters/state/keys.ts';
import { decide } from '../../../core/decide.ts';
import { MemorySchema, type Memory, type SignalInput } from '../../../core/index.ts';
import { T0, mlInput, sec, type PoolSpec } from '../../core/ml/ml-builders.ts';
import { commitRequest, testTarget } from './fixtures.ts';
import { freshNamespace, startStoreSetup, type StoreSetup } from './store-setup.ts';

const POOLS = ['spot-a', 'spot-b', 'od'] as const;
const INSTANCES = ['i-1', 'i-2', 'i-3', 'i-4'] as const;
const JOBS = ['j1', 'j2', 'j3'] as const;

const signalArb = (at: number): fc.Arbitrary<SignalInput> => {
  const base = { observedAt: fc.constant(at), source: fc.constant('prop') };
  return fc.oneof(
    fc.record({
      kind: fc.constant('metric' as const),
      metric: fc.constantFrom('gpu_utilization', 'queue'),
      value: fc.double({ min: 0, max: 200, noNaN: true }),
      ...base,
    }),
    fc.record({ kind: fc.constant('schedule-tick' as const), ...base }),
    fc.record({
      kind: fc.constant('spot-interruption' as const),
      instanceId: fc.constantFrom(...INSTANCES),
      poolId: fc.constantFrom('spot-a', 'spot-b'),
      deadlineAt: fc.constant(at + sec(120)),
      ...base,
    }),
    fc.record({
      kind: fc.constant('rebalance-recommendation' as const),
      instanceId: fc.constantFrom(...INSTANCES),
      poolId: fc.constantFrom('spot-a', 'spot-b'),
      ...base,
    }),
    fc.record({
      kind: fc.constant('capacity-error' as const),
      poolId: fc.constantFrom(...POOLS),
      capacityType: fc.constantFrom('spot' as const, 'on-demand' as const),
      code: fc.constant('InsufficientInstanceCapacity'),
      ...base,
    }),
    fc.record({
      kind: fc.constant('job' as const),
      event: fc.constantFrom('queued', 'started', 'finished', 'failed', 'preempted', 'checkpoint-acknowledged'),
      jobId: fc.constantFrom(...JOBS),
      nodeCount: fc.integer({ min: 1, max: 2 }),
      instanceIds: fc.subarray([...INSTANCES]),
      checkpointAt: fc.constant(at - sec(30)),
      ...base,
    }),
  ) as fc.Arbitrary<SignalInput>;
};

const runArb = fc.record({
  kind: fc.constantFrom('inference-endpoint' as const, 'training-pool' as const),
  spendCap: fc.boolean(),
  burst: fc.boolean(),
  steps: fc
    .array(
      fc.record({
        gapSeconds: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 900 })),
        /** Which instances each pool shows (bit i: instance i), and how many are ready. */
        fleet: fc.tuple(fc.nat(15), fc.nat(15), fc.nat(15)),
      }),
      { minLength: 1, maxLength: 40 },
    )
    .chain((steps) => {
      let at = T0;
      const times = steps.map((step) => {
        at += sec(step.gapSeconds);
        return at;
      });
      return fc.tuple(
        ...steps.map((step, i) => signalArb(times[i]!).map((signal) => ({ ...step, at: times[i]!, signal }))),
      );
    }),
});

function pools(fleet: readonly number[]): PoolSpec[] {
  return POOLS.map((id, p) => ({
    id,
    instanceType: 'g5.xlarge',
    capacityType: id === 'od' ? 'on-demand' : 'spot',
    zone: `us-east-1${'abc'[p]}`,
    nodes: INSTANCES.filter((_, i) => (fleet[p]! >> i) & 1).map((instance) => ({ id: `${id}-${instance}` })),
  }));
}

/** Freeze every object and array in `value`: a write to it then throws. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

describe("the memory decide returns, read back as the store's own", () => {
  it('is what the schema gives for its JSON, and decide never writes to the memory it is given', () => {
    fc.assert(
      fc.property(runArb, ({ kind, spendCap, burst, steps }) => {
        let memory: Memory | undefined;
        for (const step of steps) {
          const input = mlInput({
            kind,
            now: step.at,
            signal: step.signal,
            pools: pools(step.fleet),
            policy: {
              minCapacity: 0,
              maxCapacity: 12,
              targetTracking: [{ metric: 'gpu_utilization', targetValue: 60 }],
              burst: { enabled: burst },
              ...(spendCap ? { spendCaps: { targetUsdPerDay: 200 } } : {}),
            },
            ...(memory ? { memory } : {}),
          });
          // The committed object is the next decision's input: a write to it would throw here.
          if (input.memory) deepFreeze(input.memory);
          const decision = decide(input);
          const text = JSON.stringify(decision.memory);
          const validated = MemorySchema.parse(JSON.parse(text));
          expect(JSON.stringify(validated)).toBe(text);
          expect(validated).toEqual(decision.memory);
          memory = decision.memory;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('the property can fail: a memory missing a field the schema defaults is caught', () => {
    const { burst: _dropped, ...partial } = MemorySchema.parse({});
    const text = JSON.stringify(partial);
    expect(JSON.stringify(MemorySchema.parse(JSON.parse(text)))).not.toBe(text);
  });
});

describe('WrittenMemory', () => {
  const key = 'tide:{t}:state';
  const memory = MemorySchema.parse({ lastDecisionAt: 5 });
  const text = JSON.stringify(memory);

  it('gives back the committed object for the text written, and validates any other text', () => {
    const written = new WrittenMemory(10);
    written.remember(key, text, memory);
    expect(written.read(key, text)).toBe(memory);
    const other = JSON.stringify({ ...memory, lastDecisionAt: 6 });
    expect(written.read(key, other)).toEqual({ ...memory, lastDecisionAt: 6 });
    expect(() => written.read(key, JSON.stringify({ ...memory, samples: { m: [[1, 'x']] } }))).toThrow(
      StateCorruptError,
    );
    expect(() => written.read('tide:{u}:state', '{"v":"1"}')).toThrow(StateCorruptError);
  });

  it('holds at most its bound of targets, forgetting the oldest first', () => {
    const written = new WrittenMemory(2);
    for (const target of ['a', 'b', 'c']) written.remember(target, text, memory);
    expect(written.read('c', text)).toBe(memory);
    expect(written.read('b', text)).toBe(memory);
    expect(written.read('a', text)).not.toBe(memory);
  });
});

describe('the Redis store reading its own memory', () => {
  let setup: StoreSetup;
  beforeAll(async () => {
    setup = await startStoreSetup();
  });
  afterAll(async () => {
    await setup.close();
  });

  it.each(['redis', 'upstash'] as const)(
    '%s: its own commit comes back as is; a write from elsewhere is validated',
    async (kind) => {
      const namespace = freshNamespace('written');
      const store = setup.create(kind, { namespace });
      await store.putTarget(testTarget());
      const request = commitRequest({ eventId: 'e1', expectedVersion: 0, now: 5_000 });
      expect(await store.commit('llm-endpoint', request)).toMatchObject({ status: 'committed' });
      expect((await store.load('llm-endpoint', 'e2')).state.memory).toBe(request.memory);
      // Another store instance (another function instance) validates what it did not write.
      const elsewhere = setup.create(kind, { namespace });
      const read = (await elsewhere.load('llm-endpoint', 'e2')).state.memory;
      expect(read).not.toBe(request.memory);
      expect(read).toEqual(request.memory);
      // Written behind the store's back: validated, and refused when it does not parse.
      const stateKey = stateKeys(namespace).state('llm-endpoint');
      await setup.inspect.hset(stateKey, 'memory', JSON.stringify({ ...request.memory, lastDecisionAt: 'soon' }));
      await expect(store.load('llm-endpoint', 'e2')).rejects.toBeInstanceOf(StateCorruptError);
    },
  );
});
