import { OAuth2Client } from 'google-auth-library';
import { DEFAULT_CALL_POLICY, type GcpCallPolicy } from '../../../adapters/gcp/call.ts';
import { GcpClients, type GcpClientOptions } from '../../../adapters/gcp/clients.ts';
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

/**
 * Real clients pointed at the fake by configuration (`TIDE_GCP_API_ENDPOINT`), with a fixed access token. The
 * tests model ticks far apart and change the fake between reads, so by default every capacity read asks the
 * fake (`observationMaxAgeMs: 0`); the shared reads of a burst have tests of their own (shared-reads.test.ts).
 */
export function clientsFor(fake: GcpFake, options: Partial<GcpClientOptions> = {}): GcpClients {
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: 'test-token', expiry_date: Date.now() + 3_600_000 });
  return new GcpClients({
    ...gcpEndpointFromEnv({ TIDE_GCP_API_ENDPOINT: fake.url }),
    authClient,
    observationMaxAgeMs: 0,
    ...options,
  });
}
