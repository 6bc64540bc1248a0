/**
 * The `resource` block of an Azure target: which Azure resource each of a target's pools is. A pool is a
 * virtual machine scale set (Uniform or Flexible orchestration; a spot pool is a scale set whose VMs have
 * Spot priority) or an Azure Machine Learning managed online deployment. Names only: credentials come from
 * the function's managed identity (DefaultAzureCredential), never from a document.
 */
import {
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

/** A subscription id: a GUID. */
const SubscriptionSchema = string().regex(
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  {
    message: 'expected an Azure subscription id (a GUID)',
  },
);

/** A resource group: 1-90 letters, digits, `._-()`, not ending in a period. */
const ResourceGroupSchema = string().regex(/^[-\w._()]{0,89}[-\w_()]$/, {
  message: 'expected a resource group name: 1-90 letters, digits, "._-()", not ending with "."',
});

/** Scale set, workspace, endpoint and deployment names: letters, digits, `-_.`, up to 64. */
const Name = string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
  message: 'expected an Azure resource name: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
});

const VmssBindingSchema = strictObject({
  kind: literal('vmss').describe('a virtual machine scale set (Uniform or Flexible orchestration)'),
  resourceGroup: ResourceGroupSchema,
  name: Name.describe('the scale set name'),
});

const MlDeploymentBindingSchema = strictObject({
  kind: literal('ml-online-deployment').describe('an Azure Machine Learning managed online deployment'),
  resourceGroup: ResourceGroupSchema,
  workspace: Name.describe('the Azure Machine Learning workspace'),
  endpoint: Name.describe('the online endpoint'),
  deployment: Name.describe('the deployment whose instance count Tide scales'),
  autoscale: zenum(['refuse', 'take-over'])
    .default('refuse')
    .describe(
      'when an Azure Monitor autoscale setting already targets the deployment: refuse to scale it, or turn the setting off while Tide manages it and back on at release',
    ),
});

export const AzurePoolBindingSchema = discriminatedUnion('kind', [VmssBindingSchema, MlDeploymentBindingSchema]);
export type AzurePoolBinding = Infer<typeof AzurePoolBindingSchema>;
export type VmssBinding = Infer<typeof VmssBindingSchema>;
export type MlDeploymentBinding = Infer<typeof MlDeploymentBindingSchema>;

/** An Azure Monitor metric read on every tick for one of the policy's tracked metrics. */
export const AzureMetricBindingSchema = strictObject({
  resourceId: string()
    .max(1024)
    .regex(/^\/subscriptions\/[^/\s]+\/resourceGroups\/[^/\s]+\/providers\/[^\s]+$/i, {
      message: 'expected an Azure resource id (/subscriptions/…/resourceGroups/…/providers/…)',
    }),
  metricName: string()
    .min(1)
    .max(256)
    .regex(/^[A-Za-z0-9 ._/-]+$/, { message: 'expected an Azure Monitor metric name, e.g. Percentage CPU' }),
  aggregation: zenum(['Average', 'Maximum', 'Minimum', 'Total', 'Count']).default('Average'),
  intervalSeconds: number().int().min(60).max(3600).default(60),
});
export type AzureMetricBinding = Infer<typeof AzureMetricBindingSchema>;

/** A target's Azure resources: the subscription, pool id → resource, and policy metric name → Azure Monitor metric. */
export const AzureResourceSchema = strictObject({
  provider: literal('azure'),
  subscriptionId: SubscriptionSchema,
  pools: record(IdSchema, AzurePoolBindingSchema).describe('pool id → the Azure resource behind it'),
  metrics: record(string().min(1).max(128), AzureMetricBindingSchema)
    .default({})
    .describe('policy metric name → the Azure Monitor metric read on each tick'),
  checkpoint: HttpsCheckpointCallbackSchema.optional().describe(
    "where checkpoint requests for this target's training jobs go (a signed HTTPS CloudEvent)",
  ),
});
export type AzureResource = Infer<typeof AzureResourceSchema>;

/** A problem with a target's Azure resource block, for `tide validate`. */
export interface AzureResourceProblem {
  path: (string | number)[];
  message: string;
  input: unknown;
}

/** Every pool bound to one resource, nothing bound that is not a pool, ML deployments serve inference. */
export function azureResourceProblems(
  kind: string,
  poolIds: readonly string[],
  resource: AzureResource,
): AzureResourceProblem[] {
  const problems: AzureResourceProblem[] = [];
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
        message: `every pool needs its Azure resource; pool ${JSON.stringify(poolId)} has none`,
        input: bound,
      });
    }
  }
  for (const [poolId, binding] of Object.entries(resource.pools)) {
    if (binding.kind === 'ml-online-deployment' && kind !== 'inference-endpoint') {
      problems.push({
        path: ['resource', 'pools', poolId, 'kind'],
        message: `an Azure ML online deployment is an inference-endpoint target, was: kind ${JSON.stringify(kind)}`,
        input: kind,
      });
    }
  }
  return problems;
}

/** The Azure ML deployment of a target whose floor cannot go below one instance, if any. */
export function azureMinimumOneInstance(resource: AzureResource): MlDeploymentBinding | undefined {
  return Object.values(resource.pools).find(
    (binding): binding is MlDeploymentBinding => binding.kind === 'ml-online-deployment',
  );
}
