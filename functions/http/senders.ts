/**
 * The sender checks the events route needs: adapters/auth's `SenderAuth` (sender authentication lives
 * there, once, for every runtime); the app depends only on these two calls.
 */
import type { SenderAuth } from '../../adapters/auth/index.ts';

/** Sender verification: SNS signatures and subscription confirmation, Pub/Sub push tokens, Event Grid secrets. */
export type SenderVerifier = Pick<SenderAuth, 'authenticate' | 'confirmSnsSubscription'>;

/**
 * Formats whose senders sign or carry a secret of their own: the body must pass the sender check as well as
 * come with an `ingest` key. The rest (Alertmanager, Cloud Monitoring and Azure Monitor webhooks, CloudEvents,
 * ticks) are authenticated by the key alone, the way each sender documents.
 */
export const SIGNED_SOURCES: ReadonlySet<string> = new Set([
  'aws-sns',
  'gcp-pubsub',
  'gcp-eventarc',
  'azure-eventgrid',
]);
