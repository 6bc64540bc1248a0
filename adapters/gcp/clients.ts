/**
 * The official Google Cloud clients, made once per process and only when a target needs them (the SDKs
 * cost tens of milliseconds to load: a function that serves only MIGs never loads Vertex AI's). Every
 * client uses the REST transport (`fallback: true`), which Google serves everywhere and a local endpoint can
 * speak; their own retries are turned off per call (see call.ts), so Tide's bounded ones are the only ones.
 */
import { createRequire } from 'node:module';
import type { GcpEndpointConfig } from './config.ts';

const require = createRequire(import.meta.url);

/** An auth client as the gax REST transport uses it (google-auth-library's clients qualify). */
export interface GcpAuthClient {
  getRequestHeaders(url?: string): Promise<unknown>;
  fetch?(url: string, init: Record<string, unknown>): Promise<unknown>;
}

export interface GcpClientOptions extends GcpEndpointConfig {
  /** Default: Application Default Credentials (google-auth-library's GoogleAuth). */
  authClient?: GcpAuthClient;
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
  readonly #options: Record<string, unknown>;
  readonly #made = new Map<string, Client>();
  /**
   * Instance template URL -> machine type. Compute Engine templates are immutable (a change makes a new
   * template with a new URL), so an answer holds for the process: kept here, beside the clients, because the
   * actuators are built per delivery and a cache of theirs would be read once and dropped.
   */
  readonly templateMachineTypes = new BoundedCache<string>(1_000);

  constructor(options: GcpClientOptions = {}) {
    this.#options = {
      fallback: true,
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
      ...(options.port ? { port: options.port } : {}),
      ...(options.protocol ? { protocol: options.protocol } : {}),
      ...(options.authClient ? { authClient: options.authClient } : {}),
    };
  }

  #client(key: string, make: (options: Record<string, unknown>) => Client): Client {
    let client = this.#made.get(key);
    if (!client) {
      client = make(this.#options);
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
  get metrics(): Client {
    return this.#client('monitoring', (o) => new (require('@google-cloud/monitoring').MetricServiceClient)(o));
  }

  /** Close the clients' transports (tests, and `tide serve` on shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.#made.values()].map((client) => client.close?.().catch?.(() => undefined)));
    this.#made.clear();
  }
}
