import type { TokenCredential } from '@azure/core-auth';
import { DEFAULT_AZURE_CALL_POLICY, type AzureCallPolicy } from '../../../adapters/azure/call.ts';
import { AzureClients, azureClientOptionsFromEnv } from '../../../adapters/azure/clients.ts';
import type { AzureFake } from '../../support/azure-fake.ts';
import { installLoopbackGuard } from '../../support/loopback-guard.ts';

installLoopbackGuard();

/** The same bounded policy with millisecond backoff, and Retry-After honoured up to 2 s. */
export const TEST_AZURE_POLICY: AzureCallPolicy = {
  ...DEFAULT_AZURE_CALL_POLICY,
  timeoutMs: 5_000,
  baseDelayMs: 1,
  maxDelayMs: 5,
  maxRetryAfterMs: 2_000,
};

/** Scopes the clients asked tokens for. */
export const scopesAsked: string[] = [];

/** A credential that records the scope and hands out a fixed token (never reaches Entra ID). */
export const testCredential: TokenCredential = {
  getToken: async (scopes) => {
    scopesAsked.push(...(Array.isArray(scopes) ? scopes : [scopes]));
    return { token: 'test-arm-token', expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

/**
 * Real clients pointed at the fake by configuration (TIDE_AZURE_ARM_ENDPOINT), trusting its CA. Every
 * observation lists the instances (no reuse, `instanceListMaxAgeMs: 0`) unless the test asks otherwise: the
 * fake's scale sets are made again between tests under the same names.
 */
export function azureClientsFor(fake: AzureFake, instanceListMaxAgeMs = 0, scaleSetMaxAgeMs = 0): AzureClients {
  return new AzureClients({
    ...azureClientOptionsFromEnv({ TIDE_AZURE_ARM_ENDPOINT: fake.url }),
    credential: testCredential,
    ca: fake.ca,
    instanceListMaxAgeMs,
    scaleSetMaxAgeMs,
  });
}
