import { array, enum as zenum, number, object, string, type infer as Infer, type input as Input } from 'zod';
import { IdSchema, TimestampSchema } from './common.ts';

export const ProviderSchema = zenum(['aws', 'gcp', 'azure', 'simulated']).meta({
  description:
    'the cloud that runs the target; `simulated` is the in-memory cloud of the simulator and the embedded default',
});
export type Provider = Infer<typeof ProviderSchema>;

export const TargetKindSchema = zenum(['inference-endpoint', 'training-pool']);
export type TargetKind = Infer<typeof TargetKindSchema>;

export const CapacityTypeSchema = zenum(['spot', 'on-demand']);
export type CapacityType = Infer<typeof CapacityTypeSchema>;

/** One place capacity can come from: an instance type, bought as spot or on-demand, optionally in one zone. */
export const CapacityPoolSchema = object({
  /** Stable id of the pool, unique within the target (e.g. `g5-xl-spot-1a`). */
  id: IdSchema,
  /** Provider instance type, e.g. `ml.g5.xlarge`, `g2-standard-8`, `Standard_NC24ads_A100_v4`. */
  instanceType: string().min(1),
  capacityType: CapacityTypeSchema.default('on-demand'),
  /** Availability zone; absent means the provider picks. */
  zone: string().min(1).optional(),
});
export type CapacityPool = Infer<typeof CapacityPoolSchema>;

/** What is scaled: an inference endpoint (replicas) or a training node pool (nodes). */
export const TargetSchema = object({
  id: IdSchema,
  kind: TargetKindSchema,
  provider: ProviderSchema,
  /** Provider region, e.g. `us-east-1`, `us-central1`, `eastus`. */
  region: string().min(1).optional(),
  /** Where capacity comes from, in order of preference; the first pool is the primary one. */
  pools: array(CapacityPoolSchema).min(1),
  /** Spend-cap group this target belongs to (several targets can share one dollar cap). */
  group: IdSchema.optional(),
});
export type Target = Infer<typeof TargetSchema>;
export type TargetInput = Input<typeof TargetSchema>;

/** A node or replica that the provider reports in a pool (used by spot and training decisions). */
export const ObservedNodeSchema = object({
  id: string().min(1),
  /** `ready` serves load; `pending` is booting; `draining` is being released. */
  state: zenum(['ready', 'pending', 'draining']).default('ready'),
  launchedAt: TimestampSchema.optional(),
  /** Training job running on the node, if any. */
  jobId: string().min(1).optional(),
});
export type ObservedNode = Infer<typeof ObservedNodeSchema>;

/** What the provider last reported about one pool. */
export const ObservedPoolSchema = object({
  poolId: IdSchema,
  instanceType: string().min(1),
  capacityType: CapacityTypeSchema,
  /** Count the provider was last asked for (replicas or nodes). */
  desired: number().int().nonnegative(),
  /** Count up and serving. */
  ready: number().int().nonnegative(),
  /** Count launched but not yet ready (GPU instances take minutes to boot). */
  pending: number().int().nonnegative().default(0),
  nodes: array(ObservedNodeSchema).optional(),
});
export type ObservedPool = Infer<typeof ObservedPoolSchema>;

/** A snapshot of the target's capacity as the provider reported it. */
export const ObservedCapacitySchema = object({
  /** When the snapshot was read; older than the policy's `observedStaleAfterSeconds` means stale. */
  observedAt: TimestampSchema,
  pools: array(ObservedPoolSchema),
});
export type ObservedCapacity = Infer<typeof ObservedCapacitySchema>;
