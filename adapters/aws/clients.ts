/**
 * The SDK clients, built lazily: a client's package is imported the first time a call needs it (a cold
 * start that only decides loads none of them), and one client per service, region and role is kept while
 * the function is warm. Every client gets the SDK's standard retry strategy (bounded attempts, full
 * jitter) and request handler timeouts; endpoints come from the SDK's own configuration
 * (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), so nothing here knows whether it talks to AWS.
 */
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { DEFAULT_AWS_CLIENT_OPTIONS, type AwsClientOptions } from './options.ts';

/** Which account and region a client acts in. */
export interface AwsScope {
  region: string;
  /** Assume this role (another account); default: the function's own credentials. */
  roleArn?: string;
  externalId?: string;
}

type SageMakerSdk = typeof import('@aws-sdk/client-sagemaker');
type AutoScalingSdk = typeof import('@aws-sdk/client-auto-scaling');
type AppAutoScalingSdk = typeof import('@aws-sdk/client-application-auto-scaling');
type CloudWatchSdk = typeof import('@aws-sdk/client-cloudwatch');
type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
type EventBridgeSdk = typeof import('@aws-sdk/client-eventbridge');

/** A client and its package (for the command classes). */
export interface Loaded<Sdk, Client> {
  sdk: Sdk;
  client: Client;
}

export interface AwsClients {
  sagemaker(scope: AwsScope): Promise<Loaded<SageMakerSdk, InstanceType<SageMakerSdk['SageMakerClient']>>>;
  autoScaling(scope: AwsScope): Promise<Loaded<AutoScalingSdk, InstanceType<AutoScalingSdk['AutoScalingClient']>>>;
  applicationAutoScaling(
    scope: AwsScope,
  ): Promise<Loaded<AppAutoScalingSdk, InstanceType<AppAutoScalingSdk['ApplicationAutoScalingClient']>>>;
  cloudWatch(scope: AwsScope): Promise<Loaded<CloudWatchSdk, InstanceType<CloudWatchSdk['CloudWatchClient']>>>;
  ec2(scope: AwsScope): Promise<Loaded<Ec2Sdk, InstanceType<Ec2Sdk['EC2Client']>>>;
  eventBridge(scope: AwsScope): Promise<Loaded<EventBridgeSdk, InstanceType<EventBridgeSdk['EventBridgeClient']>>>;
  /** Close every client's sockets (tests, `tide serve` shutdown). */
  destroy(): void;
}

/** Build the lazy client registry. */
export function createAwsClients(options: Partial<AwsClientOptions> = {}): AwsClients {
  const settings = { ...DEFAULT_AWS_CLIENT_OPTIONS, ...options };
  const cache = new Map<string, Promise<Loaded<unknown, { destroy(): void }>>>();
  const roles = new Map<string, Promise<AwsCredentialIdentityProvider>>();
  // Every client's transport, the STS client that assumes a target's role included: bounded attempts with
  // full jitter, and timeouts that end the call (without throwOnRequestTimeout, smithy 4.x only logs a
  // warning when requestTimeout passes and the call waits on).
  const requestHandler = {
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    throwOnRequestTimeout: true,
  };
  const retryStrategy = (sdkRetry: typeof import('@smithy/core/retry')) =>
    // StandardRetryStrategy draws each delay at random in [0, base × 2^attempt].
    new sdkRetry.StandardRetryStrategy({ maxAttempts: settings.maxAttempts, baseDelay: settings.retryBaseDelayMs });

  const credentialsFor = (scope: AwsScope): Promise<AwsCredentialIdentityProvider> | undefined => {
    if (!scope.roleArn) return undefined;
    const key = `${scope.roleArn}|${scope.externalId ?? ''}|${scope.region}`;
    let provider = roles.get(key);
    if (!provider) {
      provider = Promise.all([import('@aws-sdk/credential-providers'), import('@smithy/core/retry')]).then(
        ([{ fromTemporaryCredentials }, sdkRetry]) =>
          fromTemporaryCredentials({
            params: {
              RoleArn: scope.roleArn as string,
              RoleSessionName: 'tide',
              ...(scope.externalId ? { ExternalId: scope.externalId } : {}),
            },
            clientConfig: { region: scope.region, requestHandler, retryStrategy: retryStrategy(sdkRetry) },
          }),
      );
      roles.set(key, provider);
    }
    return provider;
  };

  const baseConfig = async (sdkRetry: typeof import('@smithy/core/retry'), scope: AwsScope) => {
    const credentials = await credentialsFor(scope);
    return {
      region: scope.region,
      retryStrategy: retryStrategy(sdkRetry),
      requestHandler,
      // Resolve a command's middleware stack once per command class and client, not on every send (the
      // adapters add no per-command middleware and pass no per-call options, which would bypass the cache).
      cacheMiddleware: true,
      ...(credentials ? { credentials } : {}),
    };
  };

  function lazy<Sdk, Client extends { destroy(): void }>(
    service: string,
    load: () => Promise<Sdk>,
    build: (sdk: Sdk, config: Awaited<ReturnType<typeof baseConfig>>) => Client,
  ) {
    return (scope: AwsScope): Promise<Loaded<Sdk, Client>> => {
      const key = `${service}|${scope.region}|${scope.roleArn ?? ''}|${scope.externalId ?? ''}`;
      let entry = cache.get(key) as Promise<Loaded<Sdk, Client>> | undefined;
      if (!entry) {
        entry = Promise.all([load(), import('@smithy/core/retry')]).then(async ([sdk, retry]) => ({
          sdk,
          client: build(sdk, await baseConfig(retry, scope)),
        }));
        // A failed import or role set-up is not cached: the next call tries again.
        entry.catch(() => cache.delete(key));
        cache.set(key, entry as Promise<Loaded<unknown, { destroy(): void }>>);
      }
      return entry;
    };
  }

  return {
    sagemaker: lazy(
      'sagemaker',
      () => import('@aws-sdk/client-sagemaker'),
      (sdk, c) => new sdk.SageMakerClient(c),
    ),
    autoScaling: lazy(
      'autoscaling',
      () => import('@aws-sdk/client-auto-scaling'),
      (sdk, c) => new sdk.AutoScalingClient(c),
    ),
    applicationAutoScaling: lazy(
      'application-autoscaling',
      () => import('@aws-sdk/client-application-auto-scaling'),
      (sdk, c) => new sdk.ApplicationAutoScalingClient(c),
    ),
    cloudWatch: lazy(
      'monitoring',
      () => import('@aws-sdk/client-cloudwatch'),
      (sdk, c) => new sdk.CloudWatchClient(c),
    ),
    ec2: lazy(
      'ec2',
      () => import('@aws-sdk/client-ec2'),
      (sdk, c) => new sdk.EC2Client(c),
    ),
    eventBridge: lazy(
      'events',
      () => import('@aws-sdk/client-eventbridge'),
      (sdk, c) => new sdk.EventBridgeClient(c),
    ),
    destroy() {
      for (const entry of cache.values()) void entry.then(({ client }) => client.destroy()).catch(() => {});
      cache.clear();
    },
  };
}
