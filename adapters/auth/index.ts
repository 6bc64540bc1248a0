/**
 * Sender authentication for every way Tide receives events: the AWS function (SQS bodies, SNS records,
 * direct invocations), the HTTP API's `POST /v1/events/{source}`, and the GCP and Azure functions. Build one
 * {@link SenderAuth} per process (keys and certificates are cached in it) and call `authenticate` before
 * parsing. A source without a configured check is refused: nothing is accepted by default.
 */
import { atFirstUse } from '../at-first-use.ts';
import { createAwsSourceCheck, type AwsSourceCheck } from './aws-sources.ts';
import { deny, type AuthResult } from './errors.ts';
import type { SenderAuthOptions } from './options.ts';
import { createSnsVerifier, type SnsVerifier } from './sns.ts';

export { allow, deny, type AuthFailureCode, type AuthResult } from './errors.ts';
export { createAwsSourceCheck, type AwsSourceCheck, type AwsSourceOptions } from './aws-sources.ts';
// The other clouds' checks are imported from their own modules (./entra.ts, ./eventgrid.ts, ./pubsub.ts), not
// re-exported here: a static re-export would put them back into every bundle that imports this module.
export type { EntraVerifier, EntraVerifierOptions } from './entra.ts';
export type { EventGridAuth, EventGridAuthOptions } from './eventgrid.ts';
export type { PubSubVerifier, PubSubVerifierOptions } from './pubsub.ts';
export {
  createSnsVerifier,
  snsHostAllowed,
  snsStringToSign,
  type SnsMessage,
  type SnsVerifier,
  type SnsVerifierOptions,
} from './sns.ts';
export { senderAuthOptionsFromEnv, SenderAuthConfigError } from './config.ts';
export type { AuthLogger, FailureCounter, SenderAuthOptions } from './options.ts';

/** What a runtime hands over of one request. `body` is the decoded JSON; headers by any case. */
export interface InboundRequest {
  headers?: Record<string, string | undefined>;
  query?: Record<string, string | undefined>;
  body: unknown;
}

export interface SenderAuth {
  readonly sns?: SnsVerifier;
  readonly aws?: AwsSourceCheck;
  /** Failures so far, by `<source>/<code>`. */
  readonly failures: ReadonlyMap<string, number>;
  /** Check the sender of a request for `source` (an event source name, e.g. `aws-sns`, `gcp-pubsub`). */
  authenticate(source: string, request: InboundRequest): Promise<AuthResult>;
  /** Count and log a result obtained directly from one of the checks (e.g. per SQS record). */
  record(source: string, result: AuthResult, where?: Record<string, string>): AuthResult;
  /** Verify an SNS `SubscriptionConfirmation`, then confirm it (its `SubscribeURL` on an SNS host only). */
  confirmSnsSubscription(message: Record<string, unknown>): Promise<AuthResult>;
}

function headerOf(request: InboundRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

export function createSenderAuth(options: SenderAuthOptions): SenderAuth {
  const sns = options.sns ? createSnsVerifier(options.sns) : undefined;
  const aws = options.aws ? createAwsSourceCheck({ ...options.aws, ...(sns ? { sns } : {}) }) : undefined;
  // The other clouds' checks (Pub/Sub push tokens, Event Grid secrets, Entra ID tokens) are loaded at their
  // source's first request: a function takes its own cloud's deliveries and carries the others' checks only in
  // case such a request comes (issue 18: about 5 KB of the aws:api bundle's cold start). Their options are
  // checked as they are made, so a bad one is that request's error (the environment's are checked at start,
  // by senderAuthOptionsFromEnv).
  const { pubsub: pubsubOptions, eventGrid: eventGridOptions, entra: entraOptions } = options;
  const pubsub = pubsubOptions
    ? atFirstUse(async () => (await import('./pubsub.ts')).createPubSubVerifier(pubsubOptions))
    : undefined;
  const eventGrid = eventGridOptions
    ? atFirstUse(async () => (await import('./eventgrid.ts')).createEventGridAuth(eventGridOptions))
    : undefined;
  const entra = entraOptions
    ? atFirstUse(async () => (await import('./entra.ts')).createEntraVerifier(entraOptions))
    : undefined;
  const failures = new Map<string, number>();

  const record = (source: string, result: AuthResult, where: Record<string, string> = {}): AuthResult => {
    if (result.ok) return result;
    const key = `${source}/${result.code}`;
    failures.set(key, (failures.get(key) ?? 0) + 1);
    options.counter?.inc({ source, code: result.code });
    // The reason names the field or host that failed; the payload and any credential stay out of the log.
    options.logger?.warn('sender not authenticated: event refused', {
      source,
      ...where,
      code: result.code,
      reason: result.reason,
    });
    return result;
  };

  const check = async (source: string, request: InboundRequest): Promise<AuthResult> => {
    switch (source) {
      case 'aws-sns':
        return sns
          ? sns.verify((request.body ?? {}) as Record<string, unknown>)
          : deny('not-allowed', 'no SNS verifier configured');
      case 'aws-sqs':
      case 'aws-eventbridge':
      case 'aws-cloudwatch-alarm':
      case 'tide-tick':
        return aws ? aws.check(request.body) : deny('not-allowed', 'no AWS source allow-list configured');
      case 'gcp-pubsub':
      case 'gcp-eventarc':
        return pubsub
          ? (await pubsub()).verify(headerOf(request, 'authorization'))
          : deny('not-allowed', 'no Pub/Sub verifier configured');
      case 'azure-eventgrid':
        return eventGrid
          ? (await eventGrid()).verify({
              headers: request.headers ?? {},
              ...(request.query ? { query: request.query } : {}),
            })
          : deny('not-allowed', 'no Event Grid secret configured');
      case 'azure-monitor':
        // An action group's secure webhook: an Entra ID token (a plain webhook uses an API key instead).
        return entra
          ? (await entra()).verify(headerOf(request, 'authorization'))
          : deny('not-allowed', 'no Entra ID verifier configured (TIDE_ENTRA_TENANT_ID, TIDE_ENTRA_AUDIENCES)');
      default:
        // Webhooks (Alertmanager, CloudEvents) authenticate with the HTTP API's keys (issue 9), not here.
        return deny('not-allowed', `no sender check for source ${JSON.stringify(source.slice(0, 40))}`);
    }
  };

  return {
    ...(sns ? { sns } : {}),
    ...(aws ? { aws } : {}),
    failures,
    record,
    async authenticate(source, request) {
      return record(source, await check(source, request));
    },
    async confirmSnsSubscription(message) {
      if (!sns) return record('aws-sns', deny('not-allowed', 'no SNS verifier configured'));
      return record('aws-sns', await sns.confirmSubscription(message));
    },
  };
}
