import {
  discriminatedUnion,
  enum as zenum,
  literal,
  number,
  strictObject,
  record,
  string,
  type infer as Infer,
} from 'zod';
import { IdSchema } from './common.ts';
import { GcpResourceSchema } from './resource-gcp.ts';
import { AzureResourceSchema } from './resource-azure.ts';
import { HttpsCheckpointCallbackSchema } from './checkpoint-callback.ts';

/**
 * Where a target lives in its cloud: the `resource` block of a target document, one shape per provider
 * (discriminated by `provider`, which must equal the target's). The AWS shape is here; GCP and Azure add
 * theirs to {@link ResourceSchema} the same way. Names only: no credentials ever go in a document.
 */

/** An AWS region name, e.g. `us-east-1`. */
const AwsRegionSchema = string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, {
  message: 'expected an AWS region, e.g. us-east-1',
});

/** Names of SageMaker resources: 1-63 letters, digits and hyphens. */
const SageMakerNameSchema = string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, {
  message: 'expected a SageMaker name: 1-63 letters, digits or hyphens, starting with a letter or digit',
});

/** An EC2 Auto Scaling group: its name, or its ARN (`arn:aws:autoscaling:…:autoScalingGroup:…:autoScalingGroupName/NAME`). */
const AutoScalingGroupSchema = string().regex(
  /^(arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:\d{12}:autoScalingGroup:[0-9a-f-]+:autoScalingGroupName\/[^\s]{1,255}|[^\s:/]{1,255})$/,
  { message: 'expected an Auto Scaling group name (1-255 characters, no spaces, colons or slashes) or its ARN' },
);

/** A SageMaker real-time endpoint, one production variant of it, and optionally one inference component. */
export const SageMakerEndpointResourceSchema = strictObject({
  endpointName: SageMakerNameSchema,
  /** The production variant this target scales (a target scales one variant; its first pool is the variant). */
  variantName: SageMakerNameSchema.default('AllTraffic'),
  /**
   * An inference component on the endpoint: Tide then scales its copy count
   * (`sagemaker:inference-component:DesiredCopyCount`), which may go to zero; the variant's instances follow
   * through SageMaker's managed instance scaling.
   */
  inferenceComponentName: SageMakerNameSchema.optional(),
});
export type SageMakerEndpointResource = Infer<typeof SageMakerEndpointResourceSchema>;

/** Where `request-checkpoint` sends its CloudEvent: an HTTPS callback signed with HMAC-SHA256, or an EventBridge bus. */
export const AwsCheckpointCallbackSchema = discriminatedUnion('type', [
  HttpsCheckpointCallbackSchema,
  strictObject({
    type: literal('eventbridge'),
    /** Event bus name or ARN. */
    eventBus: string().min(1).max(1600),
  }),
]);
export type AwsCheckpointCallback = Infer<typeof AwsCheckpointCallbackSchema>;

/** A CloudWatch metric that feeds a policy metric of the same name (target tracking, triggers). */
export const AwsMetricSchema = strictObject({
  /** e.g. `AWS/SageMaker`, `CWAgent`. */
  namespace: string().min(1).max(255),
  /** e.g. `GPUUtilization`, `ConcurrentRequestsPerModel`. */
  metricName: string().min(1).max(255),
  /** e.g. `{ EndpointName: llm-prod, VariantName: AllTraffic }`. At most 30, as CloudWatch allows. */
  dimensions: record(string().min(1).max(255), string().min(1).max(1024))
    .refine((d) => Object.keys(d).length <= 30, { message: 'at most 30 dimensions' })
    .default({}),
  /** `Average`, `Maximum`, `Sum`, `p90`, … */
  stat: string().min(1).max(100).default('Average'),
  /** Period of each datapoint, seconds (60 for standard metrics; 1, 5, 10, 30 for high-resolution ones). */
  periodSeconds: number().int().min(1).max(86400).default(60),
});
export type AwsMetric = Infer<typeof AwsMetricSchema>;

/** The AWS resources of a target. */
export const AwsResourceSchema = strictObject({
  provider: literal('aws'),
  /** Region of the resources; default: the target's `region`, then the function's own region. */
  region: AwsRegionSchema.optional(),
  /** Role to assume for resources in another account (`arn:aws:iam::ACCOUNT:role/NAME`). */
  roleArn: string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, { message: 'expected an IAM role ARN' })
    .optional(),
  /** The external id the role's trust policy asks for, if any. */
  externalId: string().min(2).max(1224).optional(),
  /** For a SageMaker endpoint target. */
  sagemakerEndpoint: SageMakerEndpointResourceSchema.optional(),
  /** For GPU pools on EC2 Auto Scaling: one group per Tide pool, keyed by pool id. */
  autoScalingGroups: record(IdSchema, AutoScalingGroupSchema).optional(),
  /** CloudWatch metrics read with GetMetricData on every scheduled tick, by the policy's metric name. */
  metrics: record(string().min(1).max(255), AwsMetricSchema).optional(),
  /** Where checkpoint requests for this target's training jobs go. */
  checkpoint: AwsCheckpointCallbackSchema.optional(),
  /** The spot market whose prices are read (DescribeSpotPriceHistory's product description). */
  productDescription: zenum(['Linux/UNIX', 'Linux/UNIX (Amazon VPC)']).default('Linux/UNIX'),
});
export type AwsResource = Infer<typeof AwsResourceSchema>;

/** A target's cloud resources, by provider. GCP and Azure add their shapes here. */
export const ResourceSchema = discriminatedUnion('provider', [
  AwsResourceSchema,
  GcpResourceSchema,
  AzureResourceSchema,
]);
export type Resource = Infer<typeof ResourceSchema>;
