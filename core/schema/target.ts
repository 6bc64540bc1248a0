import { array, enum as zenum, number, strictObject, string, type infer as Infer, type input as Input } from 'zod';
import { IdSchema, TimestampSchema } from './common.ts';
import { ResourceSchema } from './resource.ts';
import { gcpMinimumOneReplica, gcpResourceProblems } from './resource-gcp.ts';
import { azureMinimumOneInstance, azureResourceProblems } from './resource-azure.ts';
import type { Policy } from './policy.ts';
import type { ValidationProblem } from '../errors.ts';
import { LIMITS } from './limits.ts';

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
export const CapacityPoolSchema = strictObject({
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
export const TargetSchema = strictObject({
  id: IdSchema,
  kind: TargetKindSchema,
  provider: ProviderSchema,
  /** Provider region, e.g. `us-east-1`, `us-central1`, `eastus`. */
  region: string().min(1).optional(),
  /** Where capacity comes from, in order of preference; the first pool is the primary one. */
  pools: array(CapacityPoolSchema).min(1).max(LIMITS.pools),
  /** Spend-cap group this target belongs to (several targets can share one dollar cap). */
  group: IdSchema.optional(),
  /**
   * The cloud resources Tide acts on (endpoint and variant, inference component, groups, region, role).
   * Absent: Tide can decide and shadow, but not act, for this target.
   */
  resource: ResourceSchema.optional(),
}).superRefine((target, ctx) => {
  for (const problem of resourceProblems(target)) {
    ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message, input: problem.input });
  }
});
export type Target = Infer<typeof TargetSchema>;
export type TargetInput = Input<typeof TargetSchema>;

/** A node or replica that the provider reports in a pool (used by spot and training decisions). */
export const ObservedNodeSchema = strictObject({
  id: string().min(1),
  /** `ready` serves load; `pending` is booting; `draining` is being released. */
  state: zenum(['ready', 'pending', 'draining']).default('ready'),
  launchedAt: TimestampSchema.optional(),
  /** Training job running on the node, if any. */
  jobId: string().min(1).optional(),
});
export type ObservedNode = Infer<typeof ObservedNodeSchema>;

/** What the provider last reported about one pool. */
export const ObservedPoolSchema = strictObject({
  poolId: IdSchema,
  instanceType: string().min(1),
  capacityType: CapacityTypeSchema,
  /** Count the provider was last asked for (replicas or nodes). */
  desired: number().int().nonnegative(),
  /** Count up and serving. */
  ready: number().int().nonnegative(),
  /** Count launched but not yet ready (GPU instances take minutes to boot). */
  pending: number().int().nonnegative().default(0),
  /** Count stopped and pre-initialized in a warm pool (EC2 Auto Scaling): they join in about a minute, not ten. */
  warm: number().int().nonnegative().optional(),
  /**
   * Live spot price of the pool's instance type, USD per instance-hour, as the provider reported it now (AWS
   * DescribeSpotPriceHistory). A spot pool is priced with it ahead of the catalog; the policy's `prices` still win.
   */
  spotUsdPerHour: number().positive().max(10_000).optional(),
  /** Where the pool's spot price came from, or why the catalog stands in (stale, missing): shown in the decision's reasons. */
  priceNote: string().max(400).optional(),
  /**
   * Spot placement score of the pool's zone, 1 (a spot request is unlikely to be fulfilled) to 10 (very likely),
   * as the provider reported it now (AWS GetSpotPlacementScores). Spot pools rank by it next to price
   * (`spot.placementScoreWeight`); absent, a pool ranks by price alone.
   */
  placementScore: number().int().min(1).max(10).optional(),
  /** Where the pool's placement score came from, or why there is none: shown in the decision's reasons. */
  placementNote: string().max(400).optional(),
  nodes: array(ObservedNodeSchema).max(LIMITS.nodesPerPool).optional(),
});
export type ObservedPool = Infer<typeof ObservedPoolSchema>;

/** A snapshot of the target's capacity as the provider reported it. */
export const ObservedCapacitySchema = strictObject({
  /** When the snapshot was read; older than the policy's `observedStaleAfterSeconds` means stale. */
  observedAt: TimestampSchema,
  pools: array(ObservedPoolSchema).max(LIMITS.pools),
});
export type ObservedCapacity = Infer<typeof ObservedCapacitySchema>;

type TargetFields = Omit<Target, 'resource'> & { resource?: Target['resource'] };

/** What is wrong with how a target names its resources (empty when nothing is). */
function resourceProblems(target: TargetFields): { path: (string | number)[]; message: string; input: unknown }[] {
  const resource = target.resource;
  if (!resource) return [];
  const problems: { path: (string | number)[]; message: string; input: unknown }[] = [];
  if (resource.provider !== target.provider) {
    problems.push({
      path: ['resource', 'provider'],
      message: `must equal the target's provider (${target.provider}), was: ${JSON.stringify(resource.provider)}`,
      input: resource.provider,
    });
    return problems;
  }
  if (resource.provider === 'azure') {
    return azureResourceProblems(
      target.kind,
      target.pools.map((pool) => pool.id),
      resource,
    );
  }
  if (resource.provider === 'gcp') {
    return gcpResourceProblems(
      target.kind,
      target.pools.map((pool) => pool.id),
      resource,
    );
  }
  const poolIds = new Set(target.pools.map((pool) => pool.id));
  const groups = resource.autoScalingGroups;
  if (resource.sagemakerEndpoint && groups) {
    problems.push({
      path: ['resource'],
      message: 'names both a SageMaker endpoint and Auto Scaling groups; a target scales one of them',
      input: Object.keys(resource),
    });
  }
  if (resource.sagemakerEndpoint) {
    if (target.kind !== 'inference-endpoint') {
      problems.push({
        path: ['resource', 'sagemakerEndpoint'],
        message: `a SageMaker endpoint is an inference-endpoint target, was: kind ${JSON.stringify(target.kind)}`,
        input: target.kind,
      });
    }
    if (target.pools.length !== 1) {
      problems.push({
        path: ['pools'],
        message: `a SageMaker endpoint target scales one production variant, so it has exactly one pool, was: ${target.pools.length} pools`,
        input: target.pools.length,
      });
    }
  }
  if (groups) {
    for (const poolId of Object.keys(groups)) {
      if (!poolIds.has(poolId)) {
        problems.push({
          path: ['resource', 'autoScalingGroups', poolId],
          message: `names no pool of this target (pools: ${[...poolIds].join(', ')}), was: ${JSON.stringify(poolId)}`,
          input: poolId,
        });
      }
    }
    for (const poolId of poolIds) {
      if (!(poolId in groups)) {
        problems.push({
          path: ['resource', 'autoScalingGroups'],
          message: `every pool needs its Auto Scaling group; pool ${JSON.stringify(poolId)} has none`,
          input: Object.keys(groups),
        });
      }
    }
  }
  if (!resource.sagemakerEndpoint && !groups) {
    problems.push({
      path: ['resource'],
      message: 'names nothing to scale: give `sagemakerEndpoint` or `autoScalingGroups`',
      input: Object.keys(resource),
    });
  }
  return problems;
}

/**
 * Problems of a policy that only show with the target it scales (the CLI's `tide validate POLICY --target
 * TARGET`). A SageMaker production variant cannot have zero instances; only an inference component's copy
 * count can go to zero (SageMaker then releases the instances through managed instance scaling). A Vertex AI
 * deployed model can have zero replicas only when it was deployed with scale to zero (`scaleToZero`).
 */
export function policyProblemsForTarget(policy: Pick<Policy, 'minCapacity'>, target: Target): ValidationProblem[] {
  const vertex = target.resource?.provider === 'gcp' ? gcpMinimumOneReplica(target.resource) : undefined;
  if (vertex && policy.minCapacity < 1) {
    const { poolId, binding } = vertex;
    return [
      {
        path: 'minCapacity',
        message: `must be at least 1 for Vertex AI endpoint ${binding.endpoint} (deployed model ${binding.deployedModelId}): a model deployed on dedicated resources keeps at least one replica unless it was deployed with Vertex AI's scale to zero (v1beta1 scaleToZeroSpec, set only at deployModel); if it was, set resource.pools.${poolId}.scaleToZero, was: ${policy.minCapacity}`,
        received: policy.minCapacity,
      },
    ];
  }
  const ml = target.resource?.provider === 'azure' ? azureMinimumOneInstance(target.resource) : undefined;
  if (ml && policy.minCapacity < 1) {
    return [
      {
        path: 'minCapacity',
        message: `must be at least 1 for Azure ML online deployment ${ml.endpoint}/${ml.deployment}: a managed online deployment keeps at least one instance (delete the deployment to go to zero), was: ${policy.minCapacity}`,
        received: policy.minCapacity,
      },
    ];
  }
  const endpoint = target.resource?.provider === 'aws' ? target.resource.sagemakerEndpoint : undefined;
  if (endpoint && !endpoint.inferenceComponentName && policy.minCapacity < 1) {
    return [
      {
        path: 'minCapacity',
        message: `must be at least 1 for SageMaker endpoint ${endpoint.endpointName} (variant ${endpoint.variantName}): a production variant cannot scale to zero instances; name an inference component (resource.sagemakerEndpoint.inferenceComponentName) to scale its copies to zero, was: ${policy.minCapacity}`,
        received: policy.minCapacity,
      },
    ];
  }
  return [];
}
