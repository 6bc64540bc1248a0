/**
 * The `resource` block of a Google Cloud target: which Google Cloud resource each of a target's pools is, and how Tide reaches Google Cloud. A pool is a
 * Compute Engine managed instance group (zonal or regional; a spot pool is a group whose template uses the
 * SPOT provisioning model), a GKE node pool, or a model deployed on a Vertex AI online prediction endpoint.
 */
import {
  boolean,
  discriminatedUnion,
  enum as zenum,
  literal,
  number,
  record,
  string,
  strictObject,
  type infer as Infer,
} from 'zod';
import { IdSchema } from './common.ts';
import { HttpsCheckpointCallbackSchema } from './checkpoint-callback.ts';

const Name = string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a Google Cloud resource name');

const MigBindingSchema = strictObject({
  kind: literal('mig').describe('a Compute Engine managed instance group'),
  project: Name.describe('the project id'),
  zone: Name.optional().describe('the zone of a zonal group, e.g. `us-central1-a`'),
  region: Name.optional().describe('the region of a regional group, e.g. `us-central1`'),
  name: Name.describe('the group (instance group manager) name'),
}).refine((binding) => (binding.zone === undefined) !== (binding.region === undefined), {
  message: 'a managed instance group needs exactly one of zone or region',
});

const GkeNodePoolBindingSchema = strictObject({
  kind: literal('gke-node-pool').describe('a GKE node pool'),
  project: Name,
  location: Name.describe('the cluster location: a region or a zone'),
  cluster: Name,
  nodePool: Name,
  takeOverAutoscaler: boolean()
    .default(false)
    .describe(
      'when the pool has the cluster autoscaler on: false refuses to manage it; true turns it off and restores it on release',
    ),
});

const VertexBindingSchema = strictObject({
  kind: literal('vertex-endpoint').describe('a model deployed on a Vertex AI online prediction endpoint'),
  project: Name,
  location: Name.describe('the endpoint region, e.g. `us-central1`'),
  endpoint: Name.describe('the endpoint id'),
  deployedModelId: Name.describe('the deployed model whose replicas Tide scales'),
  scaleToZero: boolean()
    .default(false)
    .describe(
      'the model was deployed with Vertex AI scale to zero (v1beta1 `scaleToZeroSpec`, set only at deployModel): its floor may be 0, read and changed through v1beta1',
    ),
});

export const GcpPoolBindingSchema = discriminatedUnion('kind', [
  MigBindingSchema,
  GkeNodePoolBindingSchema,
  VertexBindingSchema,
]);
export type GcpPoolBinding = Infer<typeof GcpPoolBindingSchema>;
export type MigBinding = Infer<typeof MigBindingSchema>;
export type GkeNodePoolBinding = Infer<typeof GkeNodePoolBindingSchema>;
export type VertexBinding = Infer<typeof VertexBindingSchema>;

/** A Cloud Monitoring metric read on every tick for one of the policy's tracked metrics. */
export const GcpMetricBindingSchema = strictObject({
  project: Name,
  type: string()
    .min(1)
    .max(256)
    .regex(
      /^[a-z0-9._/-]+$/,
      'a Cloud Monitoring metric type such as `aiplatform.googleapis.com/prediction/online/replicas`',
    )
    .describe('the Cloud Monitoring metric type'),
  filter: string()
    .max(1024)
    .refine((filter) => filter.split('"').length % 2 === 1, 'a filter needs balanced double quotes')
    .optional()
    .describe('more of a Monitoring filter, ANDed with the type, e.g. `resource.labels.endpoint_id = "123"`'),
  aligner: zenum(['ALIGN_MEAN', 'ALIGN_MAX', 'ALIGN_RATE', 'ALIGN_SUM']).default('ALIGN_MEAN'),
  reducer: zenum(['REDUCE_MEAN', 'REDUCE_SUM', 'REDUCE_MAX']).default('REDUCE_MEAN'),
  alignmentSeconds: number().int().min(60).max(3600).default(60),
});
export type GcpMetricBinding = Infer<typeof GcpMetricBindingSchema>;

/** A target's Google Cloud resources: pool id → resource, and policy metric name → Cloud Monitoring metric. */
export const GcpResourceSchema = strictObject({
  provider: literal('gcp'),
  pools: record(IdSchema, GcpPoolBindingSchema).describe('pool id → the Google Cloud resource behind it'),
  metrics: record(string().min(1).max(128), GcpMetricBindingSchema)
    .default({})
    .describe('policy metric name → the Cloud Monitoring metric read on each tick'),
  checkpoint: HttpsCheckpointCallbackSchema.optional().describe(
    "where checkpoint requests for this target's training jobs go (a signed HTTPS CloudEvent)",
  ),
});
export type GcpResource = Infer<typeof GcpResourceSchema>;

/** A problem with a target's Google Cloud resource block, for `tide validate`. */
export interface GcpResourceProblem {
  path: (string | number)[];
  message: string;
  input: unknown;
}

/** Every pool bound to one resource, nothing bound that is not a pool, Vertex AI endpoints serve inference. */
export function gcpResourceProblems(
  kind: string,
  poolIds: readonly string[],
  resource: GcpResource,
): GcpResourceProblem[] {
  const problems: GcpResourceProblem[] = [];
  const bound = Object.keys(resource.pools);
  for (const poolId of bound) {
    if (!poolIds.includes(poolId)) {
      problems.push({
        path: ['resource', 'pools', poolId],
        message: `names no pool of this target (pools: ${poolIds.join(', ')}), was: ${JSON.stringify(poolId)}`,
        input: poolId,
      });
    }
  }
  for (const poolId of poolIds) {
    if (!bound.includes(poolId)) {
      problems.push({
        path: ['resource', 'pools'],
        message: `every pool needs its Google Cloud resource; pool ${JSON.stringify(poolId)} has none`,
        input: bound,
      });
    }
  }
  for (const [poolId, binding] of Object.entries(resource.pools)) {
    if (binding.kind === 'vertex-endpoint' && kind !== 'inference-endpoint') {
      problems.push({
        path: ['resource', 'pools', poolId, 'kind'],
        message: `a Vertex AI endpoint is an inference-endpoint target, was: kind ${JSON.stringify(kind)}`,
        input: kind,
      });
    }
  }
  return problems;
}

/**
 * The first Vertex AI deployed model of a target whose floor cannot go below one replica, with its pool: one
 * on dedicated resources that was not deployed with scale to zero (`scaleToZero` false). Vertex allows zero
 * replicas only for a model deployed with a `scaleToZeroSpec` (v1beta1), and that is chosen at deployment.
 */
export function gcpMinimumOneReplica(resource: GcpResource): { poolId: string; binding: VertexBinding } | undefined {
  for (const [poolId, binding] of Object.entries(resource.pools)) {
    if (binding.kind === 'vertex-endpoint' && !binding.scaleToZero) return { poolId, binding };
  }
  return undefined;
}
