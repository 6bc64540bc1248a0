import { array, boolean, enum as zenum, number, object, string, tuple, type infer as Infer } from 'zod';

import { dictionary } from './common.ts';

/** Bounds that keep the memory small in Redis. */
export const ML_MEMORY_LIMITS = {
  /** Interruption timestamps kept per pool. */
  interruptionsPerPool: 100,
  pools: 200,
  jobs: 500,
  checkpointWaits: 200,
  idleNodes: 2000,
  /** Spend samples [at, USD/h] over the last 24 h: one per 5-minute step at most (288) and the one before. */
  spendSamples: 289,
  /** Replicas named by a spot notice, serving until the provider takes them (core/strategies/ml/noticed.ts). */
  noticedNodes: 1000,
} as const;

/** What the memory knows of one spot pool. */
export const PoolStatsSchema = object({
  /** Interruption notices (epoch ms), oldest first, pruned to the policy's window. */
  interruptions: array(number()).default([]),
  /** Last capacity error (epoch ms). */
  lastCapacityErrorAt: number().nullable().default(null),
  lastCapacityErrorCode: string().nullable().default(null),
});
export type PoolStats = Infer<typeof PoolStatsSchema>;

/** A training job as the job events described it. */
export const TrainingJobSchema = object({
  state: zenum(['queued', 'launching', 'running']),
  gpusPerNode: number().int().positive(),
  nodeCount: number().int().positive(),
  priority: number().int().default(0),
  gpuModel: string().nullable().default(null),
  queuedAt: number(),
  /** When nodes were last launched for it (state `launching`). */
  launchedAt: number().nullable().default(null),
  /** Pool the launch went to. */
  poolId: string().nullable().default(null),
  startedAt: number().nullable().default(null),
  /** Last checkpoint (epoch ms): work after it is lost if a node goes without a new one. */
  lastCheckpointAt: number().nullable().default(null),
  instanceIds: array(string()).default([]),
  /** A move back to spot was called off (no checkpoint in time): not tried again for an hour. */
  moveCalledOffAt: number().nullable().default(null),
  /** Expected running time of the whole job, seconds; null = unknown (no deadline logic). */
  runSeconds: number().positive().nullable().default(null),
  /** When the job must be done (epoch ms); null = no deadline: on-demand fallback as the policy says. */
  deadlineAt: number().nullable().default(null),
  /** Running time secured by the last acknowledged checkpoint, seconds: a new placement resumes from it. */
  savedSeconds: number().min(0).default(0),
  /** Progress the current placement resumed from, seconds (savedSeconds when it started). */
  resumedFromSeconds: number().min(0).default(0),
  /** From when the current placement progresses (started + job load time, epoch ms); null = not running. */
  progressingSince: number().nullable().default(null),
  /** Went to on-demand because its deadline left no slack (epoch ms): it stays there until it finishes. */
  onDemandForDeadlineAt: number().nullable().default(null),
  /** Last checkpoint asked for to keep the deadline reachable should the node go (epoch ms). */
  deadlineCheckpointAt: number().nullable().default(null),
  /** Started back on spot after running on on-demand for its deadline (epoch ms): no switch again for a while. */
  backOnSpotAt: number().nullable().default(null),
});
export type TrainingJob = Infer<typeof TrainingJobSchema>;

/** A node waiting for its job's checkpoint before it is released. */
export const CheckpointWaitSchema = object({
  jobId: string(),
  instanceId: string(),
  poolId: string(),
  requestedAt: number(),
  deadlineAt: number(),
  /** A planned move (back to spot), not a notice: without an acknowledgement the move is called off. */
  planned: boolean().default(false),
});
export type CheckpointWait = Infer<typeof CheckpointWaitSchema>;

/** A replica a spot interruption notice named, serving until the provider takes it (core/strategies/ml/noticed.ts). */
export const NoticedNodeSchema = object({
  instanceId: string(),
  poolId: string(),
  /** When the provider takes it (epoch ms), from the notice. */
  deadlineAt: number(),
});
export type NoticedNode = Infer<typeof NoticedNodeSchema>;

/** The ML decisions' memory. Every field is defaulted and bounded (ML_MEMORY_LIMITS). */
export const MlStateSchema = object({
  /** Statistics per pool id. */
  pools: dictionary(string(), PoolStatsSchema).prefault({}),
  /** Since when capacity has been on on-demand because spot failed (epoch ms); null = not in fallback. */
  fallbackSince: number().nullable().default(null),
  /** When spot capacity was launched to come back from the fallback (epoch ms); on-demand shrinks once it is ready. */
  returningToSpotAt: number().nullable().default(null),
  /** Last spot trouble of any pool: interruption, rebalance or capacity error (epoch ms). */
  lastSpotTroubleAt: number().nullable().default(null),
  /** Training jobs that are queued, launching or running, by job id. */
  jobs: dictionary(string(), TrainingJobSchema).prefault({}),
  checkpointWaits: array(CheckpointWaitSchema).default([]),
  /** Since when each node has had no job (epoch ms), by instance id. */
  idleSince: dictionary(string(), number()).prefault({}),
  /** Latest value of each metric the scale-up step watches: [epoch ms, value]. */
  metrics: dictionary(string(), tuple([number(), number()])).prefault({}),
  /** Last instance type change (epoch ms). */
  lastTypeChangeAt: number().nullable().default(null),
  /** Since when GPU utilization has been low without a break (epoch ms). */
  lowUseSince: number().nullable().default(null),
  /**
   * Estimated spend rate after each decision that changed it: [epoch ms, USD/h], last 24 h at 5-minute
   * resolution; kept only for a target with `spendCaps.targetUsdPerDay` or a `group` (the $/day caps read it).
   */
  spend: array(tuple([number(), number()])).default([]),
  /** GPU-hours of training work lost to interruptions so far (work since the last checkpoint). */
  lostGpuHours: number().min(0).default(0),
  /**
   * Inference replicas named by a spot notice that keep serving until the provider takes them; their
   * replacements are already asked for. Released `spot.drainBeforeReclaimSeconds` before the deadline.
   * Absent when there are none (so a memory that never saw one is the same as before the field).
   */
  noticed: array(NoticedNodeSchema).optional(),
  /**
   * The need the pool-loss cover's layout was made for (spot.poolLossReserve): the layout's total less its
   * spare replicas. Absent for a target without the cover.
   */
  coverNeed: number().int().min(0).optional(),
});
export type MlState = Infer<typeof MlStateSchema>;

/**
 * A shallow copy of `ml` for a step to assign its changes to, with the fields in the schema's order. Not a
 * spread: `{ ...ml }` of states built along different paths (parsed, or copied by different steps) is a
 * megamorphic object clone in V8, about 0.4 µs, where this literal has one shape (about 0.03 µs).
 */
export function copyMlState(ml: MlState): MlState {
  return {
    pools: ml.pools,
    fallbackSince: ml.fallbackSince,
    returningToSpotAt: ml.returningToSpotAt,
    lastSpotTroubleAt: ml.lastSpotTroubleAt,
    jobs: ml.jobs,
    checkpointWaits: ml.checkpointWaits,
    idleSince: ml.idleSince,
    metrics: ml.metrics,
    lastTypeChangeAt: ml.lastTypeChangeAt,
    lowUseSince: ml.lowUseSince,
    spend: ml.spend,
    lostGpuHours: ml.lostGpuHours,
    ...(ml.noticed ? { noticed: ml.noticed } : {}),
    ...(ml.coverNeed !== undefined ? { coverNeed: ml.coverNeed } : {}),
  };
}

/**
 * Memory fields for the ML decisions (spot pool statistics, training jobs, spend). Spread into the memory
 * object in memory.ts; every field must have a default so older memory still parses.
 */
export const MlMemoryShape = {
  ml: MlStateSchema.prefault({}),
};
