/** What `createSenderAuth` (./index.ts) is built from (./config.ts reads it from the environment). */
import type { Logger } from '../ports/logger.ts';
import type { AwsSourceOptions } from './aws-sources.ts';
import type { AuthFailureCode } from './errors.ts';
import type { EntraVerifierOptions } from './entra.ts';
import type { EventGridAuthOptions } from './eventgrid.ts';
import type { PubSubVerifierOptions } from './pubsub.ts';
import type { SnsVerifierOptions } from './sns.ts';

/** Where failures are logged (the runtime's redacting logger). */
export type AuthLogger = Pick<Logger, 'warn'>;

/** A counter with labels, as prom-client's `Counter#inc(labels)`. */
export interface FailureCounter {
  inc(labels: { source: string; code: AuthFailureCode }): void;
}

export interface SenderAuthOptions {
  aws?: AwsSourceOptions;
  /** SNS verification; used for `aws-sns` and, inside `aws`, for SNS bodies on the queue. */
  sns?: SnsVerifierOptions;
  pubsub?: PubSubVerifierOptions;
  eventGrid?: EventGridAuthOptions;
  /** Entra ID tokens of Azure Monitor action groups' secure webhooks (source `azure-monitor`). */
  entra?: EntraVerifierOptions;
  logger?: AuthLogger;
  counter?: FailureCounter;
}
