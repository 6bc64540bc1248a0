/**
 * Which Google Cloud resource each of a target's pools is, and how Tide reaches Google Cloud. A pool is a
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
export const GcpResourcesSchema = strictObject({
  pools: record(string().min(1).max(128), GcpPoolBindingSchema).describe(
    'pool id → the Google Cloud resource behind it',
  ),
  metrics: record(string().min(1).max(128), GcpMetricBindingSchema)
    .default({})
    .describe('policy metric name → the Cloud Monitoring metric read on each tick'),
});
export type GcpResources = Infer<typeof GcpResourcesSchema>;

/** Where the clients send requests: Google's endpoints by default; a private or local endpoint by configuration. */
export interface GcpEndpointConfig {
  apiEndpoint?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

/**
 * `TIDE_GCP_API_ENDPOINT` (e.g. `https://private.googleapis.com` or `http://127.0.0.1:8085`) points every
 * client at one endpoint; unset means each API's public endpoint. Credentials are Application Default
 * Credentials unless an auth client is passed in.
 */
export function gcpEndpointFromEnv(env: Record<string, string | undefined>): GcpEndpointConfig {
  const raw = env.TIDE_GCP_API_ENDPOINT;
  if (!raw) return {};
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(
      `TIDE_GCP_API_ENDPOINT must be a URL such as https://host:port, was: ${JSON.stringify(raw.slice(0, 200))}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`TIDE_GCP_API_ENDPOINT must be http or https, was: ${JSON.stringify(url.protocol)}`);
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { apiEndpoint: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol };
}
