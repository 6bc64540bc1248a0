import {
  DecisionInputSchema,
  MemorySchema,
  type DecisionInput,
  type Memory,
  type PolicyInput,
  type SignalInput,
} from '../../../core/index.ts';

/** 2026-03-02 (a Monday) 14:00:00 UTC. */
export const T0 = Date.parse('2026-03-02T14:00:00Z');
export const sec = (s: number) => s * 1000;
export const HOUR = 3_600_000;

export interface NodeSpec {
  id: string;
  jobId?: string;
  state?: 'ready' | 'pending' | 'draining';
}

export interface PoolSpec {
  id: string;
  instanceType: string;
  capacityType: 'spot' | 'on-demand';
  zone?: string;
  nodes?: NodeSpec[];
  /** Desired count; defaults to the node count. */
  desired?: number;
  ready?: number;
  pending?: number;
  /** The provider's live spot price and placement score (AWS), as an adapter observes them. */
  spotUsdPerHour?: number;
  placementScore?: number;
  placementNote?: string;
}

export interface MlInputOptions {
  kind?: 'inference-endpoint' | 'training-pool';
  provider?: 'aws' | 'gcp' | 'azure';
  now?: number;
  signal?: SignalInput;
  policy?: PolicyInput;
  pools: PoolSpec[];
  memory?: Memory;
  group?: string;
  groupSpend?: { usdPerHour: number; usdLastDay?: number };
}

/** A decision input for a target whose pools and nodes are given; everything else defaulted. */
export function mlInput(options: MlInputOptions): DecisionInput {
  const now = options.now ?? T0;
  return DecisionInputSchema.parse({
    now,
    signal: options.signal ?? { kind: 'schedule-tick', observedAt: now, source: 'test' },
    target: {
      id: options.kind === 'training-pool' ? 'train-pool' : 'llm-endpoint',
      kind: options.kind ?? 'inference-endpoint',
      provider: options.provider ?? 'aws',
      pools: options.pools.map((pool) => ({
        id: pool.id,
        instanceType: pool.instanceType,
        capacityType: pool.capacityType,
        ...(pool.zone ? { zone: pool.zone } : {}),
      })),
      ...(options.group ? { group: options.group } : {}),
    },
    policy: options.policy ?? {},
    observed: {
      observedAt: now,
      pools: options.pools.map((pool) => {
        const nodes = pool.nodes ?? [];
        const desired = pool.desired ?? nodes.length;
        const ready = pool.ready ?? nodes.filter((n) => (n.state ?? 'ready') === 'ready').length;
        return {
          poolId: pool.id,
          instanceType: pool.instanceType,
          capacityType: pool.capacityType,
          desired,
          ready,
          pending: pool.pending ?? nodes.filter((n) => n.state === 'pending').length,
          nodes: nodes.map((n) => ({ id: n.id, state: n.state ?? 'ready', ...(n.jobId ? { jobId: n.jobId } : {}) })),
          ...(pool.spotUsdPerHour !== undefined ? { spotUsdPerHour: pool.spotUsdPerHour } : {}),
          ...(pool.placementScore !== undefined ? { placementScore: pool.placementScore } : {}),
          ...(pool.placementNote !== undefined ? { placementNote: pool.placementNote } : {}),
        };
      }),
    },
    ...(options.memory ? { memory: options.memory } : {}),
    ...(options.groupSpend ? { groupSpend: options.groupSpend } : {}),
  });
}

/** A memory whose ML part starts from `ml` (everything else defaulted). */
export function memoryWith(ml: Record<string, unknown>): Memory {
  return MemorySchema.parse({ ml });
}

export const nodes = (prefix: string, count: number, extra: Partial<NodeSpec> = {}): NodeSpec[] =>
  Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i + 1}`, ...extra }));

/** g5.xlarge: on-demand $1.006/h, spot $0.4225/h (estimate). */
export const G5 = { onDemand: 1.006, spot: 0.4225 };
/** p3.2xlarge: on-demand $3.06/h, spot $0.918/h (estimate). */
export const P3 = { onDemand: 3.06, spot: 0.918 };
