/**
 * The official Google Cloud clients, made once per process and only when a target needs them (the SDKs
 * cost tens of milliseconds to load: a function that serves only MIGs never loads Vertex AI's). Every
 * client uses the REST transport (`fallback: true`), which Google serves everywhere and a local endpoint can
 * speak; their own retries are turned off per call (see call.ts), so Tide's bounded ones are the only ones.
 * Their requests go out through transport.ts (the auth client's headers, node:http's sockets), and the
 * capacity reads of a burst share answers for a bounded time (../shared-reads.ts).
 */
import { createRequire } from 'node:module';
import type { GcpEndpointConfig } from './config.ts';
import { DEFAULT_SHARED_READ_MAX_AGE_MS, SharedReads } from '../shared-reads.ts';
import { DirectTransport, type GcpAuthClient, proxyConfigured } from './transport.ts';

export type { GcpAuthClient } from './transport.ts';

const require = createRequire(import.meta.url);

/** The scope every client needs (Compute Engine, GKE, Vertex AI and Cloud Monitoring all accept it). */
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** How old a shared capacity read may be by default, ms (../shared-reads.ts says why this is safe). */
export const DEFAULT_OBSERVATION_MAX_AGE_MS = DEFAULT_SHARED_READ_MAX_AGE_MS;

export interface GcpClientOptions extends GcpEndpointConfig {
  /** Default: Application Default Credentials (google-auth-library's GoogleAuth, made at the first call). */
  authClient?: GcpAuthClient;
  /**
   * `direct` (default): requests go out through transport.ts with the auth client's headers; `auth-client`:
   * through the auth client's own `fetch` (gaxios), as the clients do on their own. A configured proxy
   * (`HTTPS_PROXY`, `HTTP_PROXY`) means `auth-client`.
   */
  transport?: 'direct' | 'auth-client';
  /** How old a capacity read shared between deliveries may be, ms; 0 reads on every delivery. Default 1,000. */
  observationMaxAgeMs?: number;
  /** The clock of the shared reads (tests). */
  now?: () => number;
}

// biome-ignore lint/suspicious/noExplicitAny: the SDKs' method shapes are checked by the wire tests, not re-typed here.
export type Client = any;

/** A map that forgets everything once it holds `limit` entries (templates in use are few; this bounds a leak). */
export class BoundedCache<V> {
  readonly #entries = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string): V | undefined {
    return this.#entries.get(key);
  }
  set(key: string, value: V): void {
    if (this.#entries.size >= this.limit) this.#entries.clear();
    this.#entries.set(key, value);
  }
}

/** Lazily built clients: `clients.instanceGroupManagers` loads @google-cloud/compute at first use. */
export class GcpClients {
  readonly #endpoint: Record<string, unknown>;
  readonly #authClient: GcpAuthClient | undefined;
  readonly #transport: 'direct' | 'auth-client';
  #options: Record<string, unknown> | undefined;
  #direct: DirectTransport | undefined;
  readonly #made = new Map<string, Client>();
  /** Capacity reads shared by the deliveries of a burst (../shared-reads.ts); changes Tide makes forget them. */
  readonly recentReads: SharedReads;
  /** How old a shared capacity read may be, ms. */
  readonly observationMaxAgeMs: number;
  /**
   * Instance template URL -> machine type. Compute Engine templates are immutable (a change makes a new
   * template with a new URL), so an answer holds for the process: kept here, beside the clients, because the
   * actuators are built per delivery and a cache of theirs would be read once and dropped.
   */
  readonly templateMachineTypes = new BoundedCache<string>(1_000);

  constructor(options: GcpClientOptions = {}) {
    this.#endpoint = {
      fallback: true,
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
      ...(options.port ? { port: options.port } : {}),
      ...(options.protocol ? { protocol: options.protocol } : {}),
    };
    this.#authClient = options.authClient;
    this.#transport = proxyConfigured(process.env) ? 'auth-client' : (options.transport ?? 'direct');
    const maxAge = options.observationMaxAgeMs ?? DEFAULT_OBSERVATION_MAX_AGE_MS;
    if (!Number.isFinite(maxAge) || maxAge < 0) {
      throw new TypeError(`observationMaxAgeMs must be a number of ms, 0 or more, was: ${JSON.stringify(maxAge)}`);
    }
    this.observationMaxAgeMs = maxAge;
    this.recentReads = new SharedReads(options.now ? { now: options.now } : {});
  }

  /** The clients' options, made with the first client: ADC (google-auth-library) loads only when a client is needed. */
  #clientOptions(): Record<string, unknown> {
    if (this.#options) return this.#options;
    let auth = this.#authClient;
    if (this.#transport === 'direct') {
      // One auth client for all the clients (one token cache), behind the direct transport.
      auth ??= new (require('google-auth-library').GoogleAuth)({ scopes: [CLOUD_PLATFORM_SCOPE] }) as GcpAuthClient;
      this.#direct = new DirectTransport(auth);
      auth = this.#direct;
    }
    this.#options = { ...this.#endpoint, ...(auth ? { authClient: auth } : {}) };
    return this.#options;
  }

  #client(key: string, make: (options: Record<string, unknown>) => Client): Client {
    let client = this.#made.get(key);
    if (!client) {
      client = make(this.#clientOptions());
      this.#made.set(key, client);
    }
    return client;
  }

  get instanceGroupManagers(): Client {
    return this.#client('igm', (o) => new (require('@google-cloud/compute').InstanceGroupManagersClient)(o));
  }
  get regionInstanceGroupManagers(): Client {
    return this.#client('rigm', (o) => new (require('@google-cloud/compute').RegionInstanceGroupManagersClient)(o));
  }
  get instanceTemplates(): Client {
    return this.#client('templates', (o) => new (require('@google-cloud/compute').InstanceTemplatesClient)(o));
  }
  get clusterManager(): Client {
    return this.#client('gke', (o) => new (require('@google-cloud/container').v1.ClusterManagerClient)(o));
  }
  get endpoints(): Client {
    return this.#client('vertex', (o) => new (require('@google-cloud/aiplatform').v1.EndpointServiceClient)(o));
  }
  /** Vertex AI's v1beta1 surface: only it carries scale to zero (`dedicatedResources.scaleToZeroSpec`). */
  get endpointsBeta(): Client {
    return this.#client(
      'vertex-beta',
      (o) => new (require('@google-cloud/aiplatform').v1beta1.EndpointServiceClient)(o),
    );
  }
  get metrics(): Client {
    return this.#client('monitoring', (o) => new (require('@google-cloud/monitoring').MetricServiceClient)(o));
  }

  /** Close the clients' transports (tests, and `tide serve` on shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.#made.values()].map((client) => client.close?.().catch?.(() => undefined)));
    this.#made.clear();
    this.#direct?.close();
    this.#direct = undefined;
    this.#options = undefined;
  }
}
