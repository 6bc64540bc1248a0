import { OAuth2Client } from 'google-auth-library';
import { DEFAULT_CALL_POLICY, type GcpCallPolicy } from '../../../adapters/gcp/call.ts';
import { GcpClients } from '../../../adapters/gcp/clients.ts';
import { gcpEndpointFromEnv } from '../../../adapters/gcp/config.ts';
import type { GcpFake } from '../../support/gcp-fake.ts';
import { installLoopbackGuard } from '../../support/loopback-guard.ts';

installLoopbackGuard();

/** Fast retries for tests: the same bounded policy, with millisecond backoff. */
export const TEST_CALL_POLICY: GcpCallPolicy = {
  ...DEFAULT_CALL_POLICY,
  timeoutMs: 5_000,
  baseDelayMs: 1,
  maxDelayMs: 5,
};

/** Real clients pointed at the fake by configuration (`TIDE_GCP_API_ENDPOINT`), with a fixed access token. */
export function clientsFor(fake: GcpFake): GcpClients {
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: 'test-token', expiry_date: Date.now() + 3_600_000 });
  return new GcpClients({ ...gcpEndpointFromEnv({ TIDE_GCP_API_ENDPOINT: fake.url }), authClient });
}
