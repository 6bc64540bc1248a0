/**
 * Sender authentication from the environment (the cloud functions' configuration):
 *
 * | variable | meaning |
 * | --- | --- |
 * | `TIDE_AWS_ACCOUNTS` | comma-separated AWS account ids whose events are accepted (default: the function's own) |
 * | `TIDE_AWS_RULES` | EventBridge rule ARNs whose `Scheduled Event`s are accepted (default: any of those accounts) |
 * | `TIDE_AWS_SCHEDULES` | EventBridge Scheduler schedule ARNs whose ticks are accepted (default: any) |
 * | `TIDE_SNS_TOPICS` | SNS topic ARNs accepted (default: any topic of those accounts) |
 * | `TIDE_SNS_CERT_HOSTS` | comma-separated hosts the signing certificate may come from (default: `sns.<region>.amazonaws.com` of any region) |
 * | `TIDE_PUBSUB_AUDIENCE`, `TIDE_PUBSUB_SERVICE_ACCOUNTS` | Pub/Sub push token audience and pushing service accounts |
 * | `TIDE_PUBSUB_JWKS_URL` | where Google's token keys are published (default Google's) |
 * | `TIDE_EVENTGRID_SECRET`, `TIDE_EVENTGRID_SUBSCRIPTIONS` | the Event Grid delivery secret and subscription names |
 * | `TIDE_ENTRA_TENANT_ID`, `TIDE_ENTRA_AUDIENCES` | Azure Monitor secure webhooks: the tenant issuing the tokens, and the accepted audiences (the Application ID URI of Tide's app registration; comma-separated) |
 * | `TIDE_ENTRA_CLIENT_IDS` | applications whose tokens are accepted (default: Azure Monitor action groups', `461e8683-5575-4561-ac7f-899cc907d62a`) |
 * | `TIDE_ENTRA_ROLE` | an app role the token must carry (e.g. `ActionGroupsSecureWebhook`); default none |
 * | `TIDE_ENTRA_JWKS_URL` | where the tenant's token keys are published (default `https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`) |
 */
import type { SenderAuthOptions } from './options.ts';

export class SenderAuthConfigError extends Error {
  override readonly name = 'SenderAuthConfigError';
  readonly retryable = false;
}

/** A directory (tenant) id; the Entra ID verifier, loaded at the first Azure Monitor request, checks it again. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** Options for {@link createSenderAuth}; `ownAccount` is the account the function runs in, when known. */
export function senderAuthOptionsFromEnv(
  env: Record<string, string | undefined>,
  ownAccount?: string,
): Omit<SenderAuthOptions, 'logger' | 'counter'> {
  const options: Omit<SenderAuthOptions, 'logger' | 'counter'> = {};
  options.sns = {
    certHosts: list(env.TIDE_SNS_CERT_HOSTS),
    topicArns: list(env.TIDE_SNS_TOPICS),
  };
  const accounts = list(env.TIDE_AWS_ACCOUNTS);
  if (accounts.length === 0 && ownAccount) accounts.push(ownAccount);
  const bad = accounts.find((account) => !/^\d{12}$/.test(account));
  if (bad !== undefined)
    throw new SenderAuthConfigError(
      `TIDE_AWS_ACCOUNTS holds 12-digit account ids, was: ${JSON.stringify(bad.slice(0, 40))}`,
    );
  options.aws = { accounts, rules: list(env.TIDE_AWS_RULES), schedules: list(env.TIDE_AWS_SCHEDULES) };
  if (env.TIDE_PUBSUB_AUDIENCE) {
    const serviceAccounts = list(env.TIDE_PUBSUB_SERVICE_ACCOUNTS);
    if (serviceAccounts.length === 0)
      throw new SenderAuthConfigError(
        'TIDE_PUBSUB_AUDIENCE needs TIDE_PUBSUB_SERVICE_ACCOUNTS (the accounts that push)',
      );
    options.pubsub = {
      audience: env.TIDE_PUBSUB_AUDIENCE,
      serviceAccounts,
      ...(env.TIDE_PUBSUB_JWKS_URL ? { jwksUrl: env.TIDE_PUBSUB_JWKS_URL } : {}),
    };
  }
  if (env.TIDE_EVENTGRID_SECRET) {
    if (env.TIDE_EVENTGRID_SECRET.length < 16)
      throw new SenderAuthConfigError('TIDE_EVENTGRID_SECRET must be at least 16 characters');
    options.eventGrid = { secret: env.TIDE_EVENTGRID_SECRET, subscriptions: list(env.TIDE_EVENTGRID_SUBSCRIPTIONS) };
  }
  if (env.TIDE_ENTRA_TENANT_ID || env.TIDE_ENTRA_AUDIENCES) {
    const audiences = list(env.TIDE_ENTRA_AUDIENCES);
    if (!env.TIDE_ENTRA_TENANT_ID || audiences.length === 0)
      throw new SenderAuthConfigError(
        'Azure Monitor secure webhooks need both TIDE_ENTRA_TENANT_ID and TIDE_ENTRA_AUDIENCES (the Application ID URI)',
      );
    if (!GUID.test(env.TIDE_ENTRA_TENANT_ID))
      throw new SenderAuthConfigError(
        `TIDE_ENTRA_TENANT_ID is the directory (tenant) id, a GUID, was: ${JSON.stringify(env.TIDE_ENTRA_TENANT_ID.slice(0, 60))}`,
      );
    const clientIds = list(env.TIDE_ENTRA_CLIENT_IDS);
    options.entra = {
      tenantId: env.TIDE_ENTRA_TENANT_ID,
      audiences,
      ...(clientIds.length > 0 ? { clientIds } : {}),
      ...(env.TIDE_ENTRA_ROLE ? { requiredRole: env.TIDE_ENTRA_ROLE } : {}),
      ...(env.TIDE_ENTRA_JWKS_URL ? { jwksUrl: env.TIDE_ENTRA_JWKS_URL } : {}),
    };
  }
  return options;
}
