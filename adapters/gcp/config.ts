/** How Tide reaches Google Cloud. The target's resource block (which resource each pool is) lives in core/schema/resource-gcp.ts. */
export type {
  GcpMetricBinding,
  GcpPoolBinding,
  GcpResource,
  GkeNodePoolBinding,
  MigBinding,
  VertexBinding,
} from '../../core/schema/resource-gcp.ts';

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
