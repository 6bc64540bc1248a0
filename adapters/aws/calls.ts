/**
 * Every AWS call the adapters make, with its IAM action. One table, so the function's IAM statements
 * (serverless.yml) can be checked against what the code calls (test/infra/aws-iam.test.ts), and so
 * dry-run knows which calls change something.
 */
import {
  AccessDeniedError,
  ActuatorError,
  ProviderRejectedError,
  ProviderUnavailableError,
  ThrottledError,
} from '../ports/actuator.ts';
import type { AwsActMode, AwsLogger } from './options.ts';

/** IAM action → whether it changes the cloud (dry-run skips those). */
export const AWS_CALLS = {
  'sagemaker:DescribeEndpoint': false,
  'sagemaker:DescribeEndpointConfig': false,
  'sagemaker:DescribeInferenceComponent': false,
  'sagemaker:UpdateEndpointWeightsAndCapacities': true,
  'sagemaker:UpdateInferenceComponentRuntimeConfig': true,
  'sagemaker:CreateEndpointConfig': true,
  'sagemaker:UpdateEndpoint': true,
  'application-autoscaling:DescribeScalableTargets': false,
  'application-autoscaling:RegisterScalableTarget': true,
  'application-autoscaling:TagResource': true,
  'application-autoscaling:ListTagsForResource': false,
  'application-autoscaling:UntagResource': true,
  'autoscaling:DescribeAutoScalingGroups': false,
  'autoscaling:DescribeScalingActivities': false,
  'autoscaling:SetDesiredCapacity': true,
  'autoscaling:CreateOrUpdateTags': true,
  'autoscaling:TerminateInstanceInAutoScalingGroup': true,
  'autoscaling:PutWarmPool': true,
  'cloudwatch:GetMetricData': false,
  'cloudwatch:DescribeAlarms': false,
  'ec2:DescribeSpotPriceHistory': false,
  'ec2:GetSpotPlacementScores': false,
  'ec2:DescribeAvailabilityZones': false,
  'events:PutEvents': true,
  /** Made by the SDK's credential provider for a target that names a role (resource.roleArn), not by the caller. */
  'sts:AssumeRole': false,
} as const;
export type AwsCallName = keyof typeof AWS_CALLS;

/** Codes the SDK and the services use for a rate limit. */
const THROTTLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorLimitExceeded',
]);
const ACCESS_DENIED_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
]);
/** Failures of the connection itself (Node's error codes and the SDK's timeout error). */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/**
 * The port's typed error for an SDK error. Throttling, 5xx and network failures arrive here only after the
 * client's own bounded retries, so they are retryable at the event level (the platform redelivers, the
 * outbox keeps it to one change); access denied and invalid requests are not.
 */
export function toActuatorError(error: unknown, call: AwsCallName, resource: string): ActuatorError {
  if (error instanceof ActuatorError) return error;
  const e = (error ?? {}) as SdkError;
  const name = e.name ?? 'Error';
  const attempts = e.$metadata?.attempts;
  const after = attempts ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : '';
  if (THROTTLE_CODES.has(name) || e.$metadata?.httpStatusCode === 429) {
    return new ThrottledError(`${call} on ${resource} throttled (${name})${after}`, { cause: error });
  }
  if (ACCESS_DENIED_CODES.has(name)) return new AccessDeniedError(call, resource, { cause: error });
  if (
    e.$fault === 'server' ||
    (e.$metadata?.httpStatusCode ?? 0) >= 500 ||
    name === 'TimeoutError' ||
    name === 'RequestTimeout' ||
    NETWORK_CODES.has(e.code ?? '') ||
    NETWORK_CODES.has(name)
  ) {
    return new ProviderUnavailableError(`${call} on ${resource} failed (${name}: ${e.message ?? ''})${after}`, {
      cause: error,
    });
  }
  return new ProviderRejectedError(call, resource, name, e.message ?? '', { cause: error });
}

/** What every adapter call goes through: the mode, the log, and the error mapping. */
export interface AwsCaller {
  readonly mode: AwsActMode;
  /**
   * Make `call` on `resource`: in dry-run a changing call is logged (with its input) and not made, and
   * resolves to undefined. `mapError` may name a more precise typed error (not found, busy) first.
   */
  call<T>(
    call: AwsCallName,
    resource: string,
    input: unknown,
    send: () => Promise<T>,
    mapError?: (error: SdkError & Error) => ActuatorError | undefined,
  ): Promise<T | undefined>;
}

/** Build the caller for a mode. */
export function createAwsCaller(mode: AwsActMode, logger: AwsLogger): AwsCaller {
  return {
    mode,
    async call(call, resource, input, send, mapError) {
      if (mode === 'dry-run' && AWS_CALLS[call]) {
        logger.info('dry-run: would call', { mode, call, resource, input });
        return undefined;
      }
      try {
        return await send();
      } catch (error) {
        throw mapError?.(error as SdkError & Error) ?? toActuatorError(error, call, resource);
      }
    },
  };
}
