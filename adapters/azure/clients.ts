/**
 * The official Azure clients (@azure/arm-compute, @azure/arm-machinelearning, @azure/arm-monitor), made once per
 * process and subscription, loaded at first use (a function that serves only scale sets never loads Azure
 * ML's client). Their own retries are off (`maxRetries: 0`): call.ts runs Tide's bounded ones, honouring
 * `Retry-After` within a bound. Credentials are DefaultAzureCredential (the Function App's managed identity)
 * unless a credential is passed in.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TokenCredential } from '@azure/core-auth';
import { SharedReads } from '../shared-reads.ts';
import { DEFAULT_INSTANCE_LIST_MAX_AGE_MS, instanceListKey, scaleSetKey } from './instance-lists.ts';

const require = createRequire(import.meta.url);

/** ARM's public endpoint and the scope its tokens are for. */
export const ARM_ENDPOINT = 'https://management.azure.com';
export const ARM_SCOPE = 'https://management.azure.com/.default';

export interface AzureClientOptions {
  /** The ARM endpoint (default: Azure's public cloud). */
  endpoint?: string;
  /** The token scope (default: ARM's, `https://management.azure.com/.default`). */
  scope?: string;
  /** Default: DefaultAzureCredential from @azure/identity (managed identity in Azure Functions). */
  credential?: TokenCredential;
  /** Extra CA certificates to trust (a private endpoint's, or a local one in tests). */
  ca?: string | Buffer;
  /** How long a scale set's instance list is reused, ms (instance-lists.ts; default 1000, 0: never). */
  instanceListMaxAgeMs?: number;
  /**
   * How long a scale set's own read (at rest) is shared, ms (instance-lists.ts; default 1000, and never more than
   * `instanceListMaxAgeMs`, so `TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS=0` shares nothing).
   */
  scaleSetMaxAgeMs?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: the SDKs' method shapes are checked by the wire tests, not re-typed here.
export type Client = any;

/** Lazily built clients, one per subscription and API. */
export class AzureClients {
  readonly #options: Record<string, unknown>;
  readonly #credential: () => TokenCredential;
  readonly #made = new Map<string, Client>();
  readonly endpoint: string;
  /** Reads shared by every actuator of the process (../shared-reads.ts): scale sets' instance lists (instance-lists.ts). */
  readonly reads: SharedReads;
  /** How long a scale set's instance list is shared, ms (0: never). */
  readonly instanceListMaxAgeMs: number;
  /** How long a scale set's own read is shared, ms (0: never). */
  readonly scaleSetMaxAgeMs: number;
  /** Orchestration mode per scale set: fixed at creation, so remembered to list beside the scale set read. */
  readonly #modes = new Map<string, 'Uniform' | 'Flexible'>();

  constructor(options: AzureClientOptions = {}) {
    this.endpoint = options.endpoint ?? ARM_ENDPOINT;
    this.reads = new SharedReads();
    this.instanceListMaxAgeMs = options.instanceListMaxAgeMs ?? DEFAULT_INSTANCE_LIST_MAX_AGE_MS;
    this.scaleSetMaxAgeMs = Math.min(
      options.scaleSetMaxAgeMs ?? DEFAULT_INSTANCE_LIST_MAX_AGE_MS,
      this.instanceListMaxAgeMs,
    );
    let credential = options.credential;
    this.#credential = () => {
      credential ??= new (require('@azure/identity').DefaultAzureCredential)() as TokenCredential;
      return credential;
    };
    this.#options = {
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      // With a custom endpoint the ML client would ask for a token for that host: always ask for ARM's.
      credentialScopes: [options.scope ?? ARM_SCOPE],
      retryOptions: { maxRetries: 0 },
      ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
      userAgentOptions: { userAgentPrefix: 'tide-autoscaler' },
    };
  }

  #client(key: string, make: (credential: TokenCredential, options: Record<string, unknown>) => Client): Client {
    let client = this.#made.get(key);
    if (!client) {
      client = make(this.#credential(), this.#options);
      this.#made.set(key, client);
    }
    return client;
  }

  compute(subscriptionId: string): Client {
    return this.#client(
      `compute:${subscriptionId}`,
      (c, o) => new (require('@azure/arm-compute').ComputeManagementClient)(c, subscriptionId, o),
    );
  }
  ml(subscriptionId: string): Client {
    return this.#client(
      `ml:${subscriptionId}`,
      (c, o) => new (require('@azure/arm-machinelearning').AzureMachineLearningWorkspaces)(c, subscriptionId, o),
    );
  }
  monitor(subscriptionId: string): Client {
    return this.#client(
      `monitor:${subscriptionId}`,
      (c, o) => new (require('@azure/arm-monitor').MonitorClient)(c, subscriptionId, o),
    );
  }

  /** The orchestration mode last seen for a scale set (its resource id), if any. */
  scaleSetMode(resource: string): 'Uniform' | 'Flexible' | undefined {
    return this.#modes.get(resource);
  }

  rememberScaleSetMode(resource: string, mode: 'Uniform' | 'Flexible'): void {
    if (this.#modes.size >= 4_096 && !this.#modes.has(resource)) this.#modes.clear();
    this.#modes.set(resource, mode);
  }

  /** Tide changed the scale set, or saw an operation of its on it end: its next observation lists again. */
  forgetScaleSet(resource: string): void {
    this.reads.forget(scaleSetKey(resource));
    this.reads.forget(instanceListKey(resource));
  }

  /** Run one of Tide's changes to a scale set: what was shared of it is forgotten before the call and after it. */
  changingScaleSet<T>(resource: string, change: () => Promise<T>): Promise<T> {
    return this.reads.changing([scaleSetKey(resource), instanceListKey(resource)], change);
  }

  /** `restorePoller` of arm-compute, for operations started on an earlier tick. */
  get restoreComputePoller(): Client {
    return require('@azure/arm-compute').restorePoller;
  }
}

/**
 * `TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS`: how long a scale set's instance list is reused (instance-lists.ts),
 * 0 to 10000 ms; unset: the default (1000).
 */
export function instanceListMaxAgeFromEnv(env: Record<string, string | undefined>): number | undefined {
  const raw = env.TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS?.trim();
  if (raw === undefined || raw === '') return undefined;
  const ms = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(ms <= 10_000))
    throw new TypeError(
      `TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS must be 0-10000 (ms), was: ${JSON.stringify(raw.slice(0, 50))}`,
    );
  return ms;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Client options from the environment: `TIDE_AZURE_ARM_ENDPOINT` (another ARM endpoint, e.g. a sovereign
 * cloud's or a local one), `TIDE_AZURE_ARM_SCOPE`, `TIDE_AZURE_CA_FILE` (a PEM file of extra CAs). The
 * credential is DefaultAzureCredential; `TIDE_AZURE_INSTANCE_LIST_MAX_AGE_MS` (instance-lists.ts); `TIDE_AZURE_STATIC_TOKEN` replaces it for a loopback endpoint only
 * (local runs and benches), never for Azure.
 */
export function azureClientOptionsFromEnv(env: Record<string, string | undefined>): AzureClientOptions {
  const options: AzureClientOptions = {};
  const raw = env.TIDE_AZURE_ARM_ENDPOINT;
  let url: URL | undefined;
  if (raw) {
    try {
      url = new URL(raw);
    } catch {
      throw new TypeError(
        `TIDE_AZURE_ARM_ENDPOINT must be a URL such as https://management.usgovcloudapi.net, was: ${JSON.stringify(raw.slice(0, 200))}`,
      );
    }
    if (url.protocol !== 'https:') {
      throw new TypeError(
        `TIDE_AZURE_ARM_ENDPOINT must be https (Azure's bearer token policy refuses http), was: ${JSON.stringify(url.protocol)}`,
      );
    }
    options.endpoint = url.origin;
  }
  if (env.TIDE_AZURE_ARM_SCOPE) options.scope = env.TIDE_AZURE_ARM_SCOPE;
  const maxAge = instanceListMaxAgeFromEnv(env);
  if (maxAge !== undefined) options.instanceListMaxAgeMs = maxAge;
  if (env.TIDE_AZURE_CA_FILE) options.ca = readFileSync(env.TIDE_AZURE_CA_FILE);
  const token = env.TIDE_AZURE_STATIC_TOKEN;
  if (token) {
    if (!url || !LOOPBACK.has(url.hostname)) {
      throw new TypeError(
        'TIDE_AZURE_STATIC_TOKEN is for a loopback TIDE_AZURE_ARM_ENDPOINT only; Azure uses DefaultAzureCredential',
      );
    }
    options.credential = { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  }
  return options;
}
