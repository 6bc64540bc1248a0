import { describe, expect, it } from 'vitest';
import type { Action } from '../../../core/decision.ts';
import { TargetSchema, type Target } from '../../../core/schema/target.ts';
import type { AuditEntry, AuditPage, StateStore, TargetSnapshot } from '../../../adapters/ports/state-store.ts';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import { CapacityReconstruction, createShadowActuator } from '../../../adapters/shadow/index.ts';
import { capacityOfFleet } from '../../../adapters/shadow/reconstruct.ts';
import { commitRequest, recordedDecision, testPolicy } from '../state/fixtures.ts';
import { RecordingLogger } from '../../functions/shell/support/fakes.ts';
import { reconcile } from '../../../functions/shell/reconciler.ts';

const NOW = Date.parse('2026-03-09T15:00:00Z');

/** A training pool with a spot primary, an on-demand fallback and a third pool never touched. */
const target: Target = TargetSchema.parse({
  id: 'train-a100',
  kind: 'training-pool',
  provider: 'aws',
  pools: [
    { id: 'spot', instanceType: 'p4d.24xlarge', capacityType: 'spot' },
    { id: 'on-demand', instanceType: 'p4d.24xlarge', capacityType: 'on-demand' },
    { id: 'spare', instanceType: 'p5.48xlarge', capacityType: 'on-demand' },
  ],
});

const set = (poolId: string, from: number, to: number): Action => ({
  type: 'set-capacity',
  poolId,
  from,
  to,
  reason: 't',
});
const launch = (poolId: string, count: number): Action => ({
  type: 'launch-capacity',
  poolId,
  instanceType: 'p4d.24xlarge',
  capacityType: 'on-demand',
  count,
  reason: 't',
});
const drain = (poolId: string, instanceId: string): Action => ({
  type: 'drain-and-release',
  poolId,
  instanceId,
  reason: 't',
});
const move = (poolId: string, toInstanceType: string, count: number): Action => ({
  type: 'change-instance-type',
  poolId,
  fromInstanceType: 'p4d.24xlarge',
  toInstanceType,
  count,
  reason: 't',
});
const checkpoint: Action = {
  type: 'request-checkpoint',
  jobId: 'j1',
  instanceIds: ['i-1'],
  deadlineAt: NOW,
  reason: 't',
};

/** A memory store holding the target, a policy with `minCapacity`, and one committed decision per action list (oldest first). */
async function storeWith(decisions: Action[][], minCapacity = 2) {
  const store = new MemoryStateStore({}, () => NOW);
  await store.putTarget(target);
  await store.putPolicy(target.id, testPolicy({ minCapacity, maxCapacity: 64 }));
  for (const [i, actions] of decisions.entries()) {
    const request = commitRequest({
      eventId: `e${i + 1}`,
      expectedVersion: i,
      actions,
      now: NOW - (decisions.length - i) * 60_000,
    });
    expect(
      await store.commit(target.id, { ...request, decision: { ...request.decision, targetId: target.id } }),
    ).toMatchObject({ status: 'committed' });
  }
  return store;
}

const desiredByPool = (snapshot: { pools: { poolId: string; desired: number }[] }) =>
  Object.fromEntries(snapshot.pools.map((p) => [p.poolId, p.desired]));

describe('shadow observe: the capacity Tide believes the target has', () => {
  it('starts at the policy minCapacity on the primary pool and 0 elsewhere when nothing was decided', async () => {
    const shadow = createShadowActuator({
      store: await storeWith([], 3),
      clock: { now: () => NOW },
      logger: new RecordingLogger(),
    });
    const snapshot = await shadow.forTarget(target).readCapacity(target.id);
    expect(snapshot).toEqual({
      observedAt: NOW,
      pools: [
        { poolId: 'spot', instanceType: 'p4d.24xlarge', capacityType: 'spot', desired: 3, ready: 3, pending: 0 },
        {
          poolId: 'on-demand',
          instanceType: 'p4d.24xlarge',
          capacityType: 'on-demand',
          desired: 0,
          ready: 0,
          pending: 0,
        },
        { poolId: 'spare', instanceType: 'p5.48xlarge', capacityType: 'on-demand', desired: 0, ready: 0, pending: 0 },
      ],
    });
  });

  it.each([
    {
      label: 'the newest set-capacity wins',
      decisions: [[set('spot', 2, 6)], [], [set('spot', 6, 4)]],
      expected: { spot: 4, 'on-demand': 0, spare: 0 },
    },
    {
      label: 'launches add on top of it',
      decisions: [[set('spot', 2, 4)], [launch('on-demand', 2)], [launch('on-demand', 1), launch('spot', 1)]],
      expected: { spot: 5, 'on-demand': 3, spare: 0 },
    },
    {
      label: 'a release takes one away',
      decisions: [[set('spot', 2, 4)], [drain('spot', 'i-1')], [launch('on-demand', 1)], [drain('on-demand', 'i-9')]],
      expected: { spot: 3, 'on-demand': 0, spare: 0 },
    },
    {
      label: 'launches before a set-capacity are absorbed by it',
      decisions: [[launch('spot', 5)], [set('spot', 7, 3)]],
      expected: { spot: 3, 'on-demand': 0, spare: 0 },
    },
    {
      label: 'without any set-capacity, launches start from minCapacity',
      decisions: [[launch('spot', 1)], [launch('spot', 2)]],
      expected: { spot: 5, 'on-demand': 0, spare: 0 },
    },
    {
      label: 'actions within one decision apply in order',
      decisions: [[set('spot', 2, 8), drain('spot', 'i-1'), set('spot', 7, 5), launch('spot', 1)]],
      expected: { spot: 6, 'on-demand': 0, spare: 0 },
    },
    {
      label: 'never below zero',
      decisions: [[drain('on-demand', 'i-1')]],
      expected: { spot: 2, 'on-demand': 0, spare: 0 },
    },
    {
      label: 'checkpoints and unknown pools change nothing',
      decisions: [[checkpoint, set('gone', 0, 9)]],
      expected: { spot: 2, 'on-demand': 0, spare: 0 },
    },
  ])('$label', async ({ decisions, expected }) => {
    const shadow = createShadowActuator({
      store: await storeWith(decisions),
      clock: { now: () => NOW },
      logger: new RecordingLogger(),
    });
    const snapshot = await shadow.forTarget(target).readCapacity(target.id);
    expect(desiredByPool(snapshot)).toEqual(expected);
    for (const pool of snapshot.pools) expect([pool.ready, pool.pending]).toEqual([pool.desired, 0]);

    // The fleet recorded with each commit (what the shell reads in shadow mode) comes to the same answer.
    const { recorded } = shadow.forTarget(target);
    const policy = testPolicy({ minCapacity: 2, maxCapacity: 64 });
    let observed = capacityOfFleet(target, { pools: [] }, policy.minCapacity, NOW);
    for (const [i, actions] of decisions.entries()) {
      const fleet = recorded!.after(observed, {
        ...recordedDecision(`e${i + 1}`, i + 1, actions),
        targetId: target.id,
      });
      observed = recorded!.read(fleet, policy, NOW)!;
    }
    expect(observed).toEqual(snapshot);
  });

  it('moves a pool to the instance type of its newest change, with the count that change brought up', async () => {
    const store = await storeWith([
      [move('spot', 'p5.48xlarge', 2)],
      [move('spot', 'p4de.24xlarge', 3)],
      [launch('spot', 1)],
    ]);
    const snapshot = await createShadowActuator({
      store,
      clock: { now: () => NOW },
      logger: new RecordingLogger(),
    })
      .forTarget(target)
      .readCapacity(target.id);
    expect(snapshot.pools[0]).toMatchObject({ poolId: 'spot', instanceType: 'p4de.24xlarge', desired: 4 });
  });

  it('keeps the type of an older change when a newer set-capacity fixed the count', async () => {
    const store = await storeWith([[move('spot', 'p5.48xlarge', 2)], [set('spot', 2, 6)]]);
    const snapshot = await createShadowActuator({
      store,
      clock: { now: () => NOW },
      logger: new RecordingLogger(),
    })
      .forTarget(target)
      .readCapacity(target.id);
    expect(snapshot.pools[0]).toMatchObject({ instanceType: 'p5.48xlarge', desired: 6 });
  });

  it('uses minCapacity 1 (the default policy) for a target without a policy', async () => {
    const store = new MemoryStateStore({}, () => NOW);
    await store.putTarget(target);
    const snapshot = await createShadowActuator({
      store,
      clock: { now: () => NOW },
      logger: new RecordingLogger(),
    })
      .forTarget(target)
      .readCapacity(target.id);
    expect(desiredByPool(snapshot)).toEqual({ spot: 1, 'on-demand': 0, spare: 0 });
  });
});

/** An audit log served from a list (newest first), counting the pages read. */
/** A target whose state has no recorded fleet (written before there was one): observe folds the audit log. */
class RecordingAudit implements Pick<StateStore, 'load' | 'getPolicy' | 'readAudit'> {
  pagesRead = 0;
  constructor(private readonly newestFirst: AuditEntry[]) {}
  async load(): Promise<TargetSnapshot> {
    const state = { memory: null, version: 1, pending: null, fleet: null };
    return { target: null, policy: null, state, event: null, documentsVersion: 1 };
  }
  async getPolicy() {
    return { value: testPolicy({ minCapacity: 2 }), version: 1 };
  }
  async readAudit(_targetId: string, options: { limit?: number; before?: string } = {}): Promise<AuditPage> {
    this.pagesRead += 1;
    const start =
      options.before === undefined ? 0 : this.newestFirst.findIndex((entry) => entry.id === options.before) + 1;
    const limit = options.limit ?? 20;
    const entries = this.newestFirst.slice(start, start + limit);
    return { entries, next: start + limit < this.newestFirst.length ? entries.at(-1)!.id : null };
  }
}

const entry = (n: number, actions: Action[]): AuditEntry => ({
  ...recordedDecision(`e${n}`, n, actions),
  id: `${n}-0`,
  signal: { kind: 'schedule-tick', source: 'schedule', observedAt: n, detail: 'tick' },
});

describe('shadow observe reads a bounded part of the audit log', () => {
  /** 300 holds on top of a set-capacity to 7 on every pool, newest first. */
  const history = [
    ...Array.from({ length: 300 }, (_, i) => entry(1000 - i, [])),
    entry(1, [set('spot', 2, 7), set('on-demand', 0, 7), set('spare', 0, 7)]),
  ];

  it('stops at the first page once every pool has an absolute count', async () => {
    const audit = new RecordingAudit([
      entry(3, [set('spot', 2, 9), set('on-demand', 0, 1)]),
      entry(2, [set('spare', 0, 4)]),
      ...history,
    ]);
    const snapshot = await createShadowActuator({
      store: audit,
      clock: { now: () => NOW },
      logger: new RecordingLogger(),
    })
      .forTarget(target)
      .readCapacity(target.id);
    expect(audit.pagesRead).toBe(1);
    expect(desiredByPool(snapshot)).toEqual({ spot: 9, 'on-demand': 1, spare: 4 });
  });

  it('reads at most auditMaxPages pages, then assumes the starting counts and says so', async () => {
    const audit = new RecordingAudit(history);
    const logger = new RecordingLogger();
    const shadow = createShadowActuator({
      store: audit,
      clock: { now: () => NOW },
      logger,
      options: { auditPageSize: 50, auditMaxPages: 4 },
    });
    const snapshot = await shadow.forTarget(target).readCapacity(target.id);
    expect(audit.pagesRead).toBe(4);
    expect(desiredByPool(snapshot)).toEqual({ spot: 2, 'on-demand': 0, spare: 0 });
    expect(logger.lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: expect.stringMatching(/no absolute capacity change/),
        fields: expect.objectContaining({ pagesRead: 4 }),
      }),
    ]);
  });

  it('finds the set-capacity when the pages allow it', async () => {
    const audit = new RecordingAudit(history);
    const snapshot = await createShadowActuator({
      store: audit,
      clock: { now: () => NOW },
      logger: new RecordingLogger(),
      options: { auditPageSize: 100, auditMaxPages: 4 },
    })
      .forTarget(target)
      .readCapacity(target.id);
    expect(audit.pagesRead).toBe(4);
    expect(desiredByPool(snapshot)).toEqual({ spot: 7, 'on-demand': 7, spare: 7 });
  });
});

describe('shadow observe on a one-pool target: the newest decision anchors the count', () => {
  const endpoint: Target = TargetSchema.parse({
    id: 'llm',
    kind: 'inference-endpoint',
    provider: 'aws',
    pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
  });
  const hold = (n: number, capacity: number, valid = true): AuditEntry => ({
    ...entry(n, []),
    valid,
    currentCapacity: capacity,
    desiredCapacity: capacity,
  });
  const observe = async (audit: RecordingAudit) =>
    createShadowActuator({ store: audit, clock: { now: () => NOW }, logger: new RecordingLogger() })
      .forTarget(endpoint)
      .readCapacity(endpoint.id);

  it('reads one page when 300 ticks held since the last scale-out', async () => {
    const audit = new RecordingAudit([
      ...Array.from({ length: 300 }, (_, i) => hold(1000 - i, 7)),
      { ...entry(1, [set('primary', 2, 7)]), currentCapacity: 2, desiredCapacity: 7 },
    ]);
    expect((await observe(audit)).pools[0]).toMatchObject({ desired: 7, ready: 7, pending: 0 });
    expect(audit.pagesRead).toBe(1);
  });

  it('takes the total after the newest decision, its own launches included, and later ones on top', async () => {
    const audit = new RecordingAudit([
      { ...entry(3, [launch('primary', 1)]), currentCapacity: 5, desiredCapacity: 6 },
      hold(2, 5),
    ]);
    expect((await observe(audit)).pools[0]!.desired).toBe(6);
  });

  it('skips decisions made without a snapshot (0 -> 0, invalid)', async () => {
    const audit = new RecordingAudit([hold(4, 0, false), hold(3, 0, false), hold(2, 5, false), hold(1, 3)]);
    // A stale-data hold with a snapshot (5 -> 5, invalid) still anchors: the count was read.
    expect((await observe(audit)).pools[0]!.desired).toBe(5);
  });
});

describe('shadow act: an actuator port that records and changes nothing', () => {
  it('logs one structured line per call the reconciler makes, and reads nothing', async () => {
    const logger = new RecordingLogger();
    const audit = new RecordingAudit([]);
    const shadow = createShadowActuator({ store: audit, clock: { now: () => NOW }, logger });
    const decision = recordedDecision('e7', 7, [set('spot', 2, 4), launch('on-demand', 1)]);
    const reconciliation = await reconcile(decision, shadow.forTarget(target), {
      now: NOW,
      source: 'test',
      idempotencyPrefix: 'e7',
    });
    expect(reconciliation).toEqual({
      actions: [
        { index: 0, type: 'set-capacity', status: 'done' },
        { index: 1, type: 'launch-capacity', status: 'done', instanceIds: [] },
      ],
      retry: false,
      signals: [],
    });
    expect(logger.lines).toEqual([
      {
        level: 'info',
        message: 'shadow: would act',
        fields: {
          mode: 'shadow',
          targetId: 'train-a100',
          provider: 'aws',
          call: 'setCapacity',
          idempotencyKey: 'e7:0',
          request: { poolId: 'spot', desired: 4, idempotencyKey: 'e7:0' },
        },
      },
      {
        level: 'info',
        message: 'shadow: would act',
        fields: expect.objectContaining({
          call: 'launchCapacity',
          idempotencyKey: 'e7:1',
          request: expect.objectContaining({ poolId: 'on-demand', count: 1, capacityType: 'on-demand' }),
        }),
      },
    ]);
    expect(audit.pagesRead).toBe(0);
  });
});

describe('CapacityReconstruction', () => {
  it('is settled only once every pool has an absolute count', () => {
    const reconstruction = new CapacityReconstruction(target, 1);
    reconstruction.addNewestFirst([entry(3, [set('spot', 1, 2), launch('on-demand', 1)])]);
    expect(reconstruction.settled).toBe(false);
    reconstruction.addNewestFirst([entry(2, [set('on-demand', 0, 1), move('spare', 'p5.48xlarge', 0)])]);
    expect(reconstruction.settled).toBe(true);
    expect(desiredByPool(reconstruction.snapshot(NOW))).toEqual({ spot: 2, 'on-demand': 2, spare: 0 });
  });
});
