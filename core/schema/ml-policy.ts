import { array, boolean, enum as zenum, number, strictObject, string } from 'zod';
import { LIMITS } from './limits.ts';
import { dictionary } from './common.ts';

const seconds = (max: number) => number().int().min(0).max(max);
/** A dollar cap; null means no cap. */
const usdCap = () => number().positive().nullable().default(null);

/** A user's addition or correction to the instance catalog (see core/catalog). A new name needs every field. */
export const InstanceTypeOverrideSchema = strictObject({
  name: string()
    .min(1)
    .describe('Instance type name, e.g. `ml.g5.2xlarge`; an existing name overrides the built-in entry.'),
  provider: zenum(['aws', 'gcp', 'azure']).optional().describe('Cloud of a new type.'),
  family: string().min(1).optional().describe('Family the size ladder climbs within, e.g. `g5`.'),
  gpus: number().int().positive().optional().describe('GPUs per instance.'),
  gpuModel: string().min(1).optional().describe('GPU model, e.g. `A10G`, `L4`, `A100`, `H100`.'),
  gpuMemoryGiB: number().positive().optional().describe('Memory of one GPU, GiB.'),
  vcpus: number().int().positive().optional().describe('vCPUs per instance.'),
  memoryGiB: number().positive().optional().describe('Host memory, GiB.'),
  onDemandUsdPerHour: number().positive().optional().describe('USD per instance-hour.'),
  spotUsdPerHour: number().positive().optional().describe('USD per instance-hour (a typical or live spot price).'),
  region: string().min(1).optional().describe('Region the prices are for.'),
});

/**
 * Scale-up (vertical) for inference endpoints: move to the next larger instance type when latency breaches
 * its SLO and more replicas would not help; step back down after a long quiet period.
 */
export const ScaleUpSchema = strictObject({
  latencyMetric: string()
    .min(1)
    .default('latency_p95_ms')
    .describe('Latency metric the SLO applies to, milliseconds (e.g. p95 model latency).'),
  latencySloMs: number()
    .min(0)
    .default(0)
    .describe('Latency SLO, milliseconds; 0 = no SLO, so latency never asks for a bigger type.'),
  concurrencyMetric: string()
    .min(1)
    .default('concurrent_requests_per_replica')
    .describe('Concurrent requests per replica metric, requests.'),
  lowConcurrencyPerReplica: number()
    .min(0)
    .default(2)
    .describe(
      'At or below this many concurrent requests per replica, a latency breach is not a throughput problem, requests.',
    ),
  gpuMemoryMetric: string()
    .min(1)
    .default('gpu_memory_utilization')
    .describe('GPU memory utilization metric, percent.'),
  gpuMemoryHighPercent: number()
    .min(0)
    .max(100)
    .default(90)
    .describe('GPU memory at or above this is "near full", percent.'),
  oomMetric: string().min(1).default('oom_errors').describe('Out-of-memory error count metric (per report), errors.'),
  gpuUtilizationMetric: string()
    .min(1)
    .default('gpu_utilization')
    .describe('GPU utilization metric, percent (used for stepping back down).'),
  staleAfterSeconds: seconds(86400).default(300).describe('A metric value older than this is not used, seconds.'),
  lowUtilizationPercent: number()
    .min(0)
    .max(100)
    .default(30)
    .describe('Step down a size once GPU utilization has stayed below this, percent...'),
  stepDownAfterSeconds: seconds(604800).default(3600).describe('...for this long without a break, seconds (1 h).'),
  stepDownLatencyFraction: number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe('...and latency is below this fraction of the SLO, so the smaller type will not breach at once.'),
  minDwellSeconds: seconds(604800)
    .default(1800)
    .describe('Hysteresis: no size change within this long of the last one, seconds (30 min).'),
  ladderScope: zenum(['family', 'provider'])
    .default('family')
    .describe("`family`: ladder inside the type's family; `provider`: any type of the provider and platform."),
  ladder: array(string().min(1))
    .max(LIMITS.ladder)
    .default([])
    .describe('Explicit ladder of instance types, smallest first; empty = derive it from the catalog.'),
  maxSurge: number()
    .int()
    .min(1)
    .max(1000)
    .default(1)
    .describe('New replicas brought up at once during a rolling type change (each batch ready before old ones go).'),
});

/** Spot replacement, ranking of spot pools, on-demand fallback and the on-demand base / spot share. */
export const SpotSchema = strictObject({
  actOnRebalance: boolean()
    .default(true)
    .describe('Replace on a rebalance recommendation (AWS), before any interruption notice.'),
  interruptionWindowSeconds: seconds(2592000)
    .default(86400)
    .describe("Look-back for a pool's interruption count, seconds (24 h)."),
  maxInterruptionsPerWindow: number()
    .int()
    .min(0)
    .max(10000)
    .default(3)
    .describe('A spot pool with more interruptions than this inside the window is not used, interruptions.'),
  interruptionPenalty: number()
    .min(0)
    .max(100)
    .default(0.25)
    .describe("Ranking: each interruption in the window adds this fraction to a pool's price (0.25 = +25 %)."),
  placementScoreWeight: number()
    .min(0)
    .max(100)
    .default(0.5)
    .describe(
      "Ranking: a spot pool's placement score (1-10, AWS GetSpotPlacementScores) below 10 adds up to this fraction to its price: score 10 adds nothing, score 1 the whole of it (0.5 = +50 %); a pool with no score adds nothing.",
    ),
  capacityErrorCooldownSeconds: seconds(86400)
    .default(180)
    .describe('A pool that returned a capacity error is skipped this long, seconds (Karpenter: 3 min).'),
  returnToSpotAfterSeconds: seconds(604800)
    .default(1800)
    .describe('Back to spot after this long without spot trouble (interruption or capacity error), seconds.'),
  drainBeforeReclaimSeconds: seconds(3600)
    .default(15)
    .describe(
      "An inference replica named by a spot interruption notice keeps serving until this long before the provider's deadline (AWS gives 120 s, GCP 30 s, Azure at least 30 s), then is drained and released; its replacement is launched at the notice. A value at least the notice's length releases it at once, seconds (core/strategies/ml/noticed.ts).",
    ),
  spreadSpotPools: boolean()
    .default(false)
    .describe(
      "Spread replicas over the target's spot pools (fewest first) instead of growing the first pool, so one pool's outage takes only its share; scale-in takes on-demand first, then the fullest spot pool. Applies to a target with two or more spot pools and no on-demand base or share (core/strategies/ml/spread.ts).",
    ),
  poolLossReserve: number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe(
      "With spreadSpotPools: share of the need left after any one spot pool's outage (spare spot replicas; on-demand while one pool is usable); 0 = off, 1 = N+k (core/strategies/ml/pool-loss.ts).",
    ),
  onePoolOnDemandShare: number()
    .min(0)
    .max(1)
    .nullable()
    .default(null)
    .describe(
      'With the pool-loss cover and one usable spot pool: share of the need on on-demand; null = poolLossReserve.',
    ),
  onDemandBase: number()
    .int()
    .min(0)
    .max(100000)
    .default(0)
    .describe('Nodes or replicas that are always on-demand (EC2 OnDemandBaseCapacity).'),
  onDemandPercentAboveBase: number()
    .min(0)
    .max(100)
    .default(0)
    .describe('Share of capacity above the base that is on-demand, percent (EC2 OnDemandPercentageAboveBaseCapacity).'),
});

/** Checkpoint-aware training pools and training demand packing. */
export const TrainingSchema = strictObject({
  checkpointSeconds: seconds(86400).default(60).describe('Time a job needs to write a checkpoint, seconds.'),
  expectedNoticeSeconds: seconds(3600)
    .default(120)
    .describe('Notice lead expected when only a rebalance recommendation has come, seconds (AWS: 120).'),
  idleTimeoutSeconds: seconds(604800)
    .default(300)
    .describe('An idle node (no job) is released after this long, seconds (Ray: 300).'),
  onDemandFallback: boolean()
    .default(true)
    .describe(
      'When no spot pool can take a training node: launch on-demand (true), or wait for spot capacity (false, as spot-only managed jobs do; cheaper, slower). The on-demand base applies either way.',
    ),
  launchTimeoutSeconds: seconds(86400)
    .default(900)
    .describe('Nodes launched for a queued job are awaited this long before launching again, seconds.'),
  nodeBootSeconds: seconds(3600)
    .default(300)
    .describe(
      'Expected time from launch to a ready node, seconds: part of the cost of switching a job to on-demand (deadlines).',
    ),
  jobLoadSeconds: seconds(86400)
    .default(120)
    .describe(
      'Expected time a job takes to load (image, data, checkpoint) on new nodes before it progresses, seconds (deadlines).',
    ),
  deadlineSafetySeconds: seconds(604800)
    .default(900)
    .describe(
      'A job with a deadline waits for spot instead of falling back to on-demand while its slack (deadline - now - remaining run time - boot - load) is above this margin, seconds (15 min).',
    ),
  returnToSpotSlackSeconds: seconds(604800)
    .nullable()
    .default(null)
    .describe(
      'Slack a job on on-demand for its deadline needs, counted as if it moved now (deadline - now - remaining run time after a checkpoint now - boot - load - deadlineSafetySeconds), to move back to spot, seconds; null = derived: nodeBootSeconds + jobLoadSeconds + checkpointSeconds (one more fallback to on-demand should spot go again right after the move, plus the checkpoint the move takes; 480 s with the defaults). A job waiting for spot goes on-demand while it still has this much slack plus one switch (boot + load) and one checkpoint time (the switch may start a tick late), so it can come back.',
    ),
  deadlineStrategy: zenum(['uniform-progress', 'greedy'])
    .default('uniform-progress')
    .describe(
      'How a job with a deadline spends its slack when spot cannot take it. `uniform-progress`: waits for spot while its secured progress is at or near a straight line from queuing to its last finish point, goes on-demand once behind it by more than a sixth of its slack at queuing (at least one switch: boot + load), and back to spot once spot is quiet (Wu et al., NSDI 2024; core/strategies/ml/uniform-progress.ts). `greedy`: waits until only its reserve of slack is left. Either way a job out of slack goes on-demand. The default is the one that measured better on the spot bench at 25 % and 50 % slack (docs/ml-decisions.md#spot-benchmark).',
    ),
  defaultDeadlineSlackPercent: number()
    .min(0)
    .max(100000)
    .nullable()
    .default(null)
    .describe(
      'Deadline of a job that gives `runSeconds` but no deadline: queued time + runSeconds x (1 + this / 100), percent; null = such a job has no deadline (immediate on-demand fallback as `onDemandFallback` says).',
    ),
});

/** A price the policy gives for an instance type, USD per instance-hour. */
export const InstancePriceSchema = strictObject({
  onDemandUsdPerHour: number().positive().max(1_000_000).optional().describe('On-demand USD per instance-hour.'),
  spotUsdPerHour: number().positive().max(1_000_000).optional().describe('Spot USD per instance-hour.'),
});

/** Spend caps in dollars. Per target, and per group (targets sharing `target.group`). */
export const SpendCapsSchema = strictObject({
  targetUsdPerHour: usdCap().describe("This target's estimated spend, USD per hour; null = no cap."),
  targetUsdPerDay: usdCap().describe("This target's spend over a rolling 24 h, USD; null = no cap."),
  groupUsdPerHour: usdCap().describe(
    "The group's estimated spend, USD per hour (needs `groupSpend` in the input); null = no cap.",
  ),
  groupUsdPerDay: usdCap().describe(
    "The group's spend over a rolling 24 h, USD (needs `groupSpend` in the input); null = no cap.",
  ),
});

/**
 * Policy fields for the ML decisions (scale-up to bigger GPUs, spot replacement, training pools, spend caps).
 * Spread into the policy object in policy.ts so one schema covers everything.
 */
export const MlPolicyShape = {
  mode: zenum(['horizontal', 'vertical', 'hybrid'])
    .default('horizontal')
    .describe(
      '`horizontal`: replicas only. `vertical`: a latency breach moves to a bigger type. `hybrid`: a bigger type when the signals show a memory or per-replica bottleneck (or it is cheaper per GiB of GPU memory), more replicas for a throughput bottleneck. Applies to inference endpoints.',
    ),
  instanceTypes: array(InstanceTypeOverrideSchema)
    .max(LIMITS.instanceTypes)
    .default([])
    .describe('Additions and corrections to the built-in instance catalog (live prices, new types).'),
  scaleUp: ScaleUpSchema.prefault({}).describe(
    'Scale-up (bigger GPU types) for inference endpoints in vertical or hybrid mode.',
  ),
  spot: SpotSchema.prefault({}).describe(
    'Spot replacement, pool ranking, on-demand fallback, on-demand base and share.',
  ),
  training: TrainingSchema.prefault({}).describe('Checkpoint-aware training pools and demand packing.'),
  prices: dictionary(string().min(1), InstancePriceSchema)
    .refine((map) => Object.keys(map).length <= LIMITS.instanceTypes, {
      message: `at most ${LIMITS.instanceTypes} instance types`,
    })
    .prefault({})
    .describe(
      'USD per instance-hour by instance type, e.g. `{"ml.g7.xlarge": {"onDemandUsdPerHour": 2.1}}`: wins over the catalog. With a spend cap, an increase of a type that has no price (here or in the catalog) is held, never counted as $0.',
    ),
  spendCaps: SpendCapsSchema.prefault({}).describe('Spend caps in dollars, per target and per group of targets.'),
};
