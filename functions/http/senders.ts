/**
 * The sender checks the events route needs, structurally the same as adapters/auth's `SenderAuth`
 * (sender authentication lives there, once, for every runtime): the app depends only on these two calls.
 */

/** A check's answer: who sent it, or why it was refused (the reason names a field or host, never a secret). */
export type SenderCheck = { ok: true; principal: string } | { ok: false; code: string; reason: string };

/** What a runtime hands over of one request. */
export interface SenderRequest {
  headers?: Record<string, string | undefined>;
  query?: Record<string, string | undefined>;
  /** The decoded JSON body. */
  body: unknown;
}

/** Sender verification: SNS signatures, Pub/Sub push tokens, Event Grid secrets. */
export interface SenderVerifier {
  authenticate(source: string, request: SenderRequest): Promise<SenderCheck>;
  /** Verify an SNS `SubscriptionConfirmation`, then confirm it (its `SubscribeURL` on an SNS host only). */
  confirmSnsSubscription(message: Record<string, unknown>): Promise<SenderCheck>;
}

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
