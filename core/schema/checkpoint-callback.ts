import { literal, string, strictObject, type infer as Infer } from 'zod';

/**
 * A training job's HTTPS checkpoint callback, the same on every cloud: Tide POSTs the signed CloudEvent
 * `dev.tide.job.checkpoint.requested` there (adapters/checkpoint/https.ts).
 */
export const HttpsCheckpointCallbackSchema = strictObject({
  type: literal('https'),
  /** The job's callback URL; https only (the signature proves the sender, TLS keeps the body private). */
  url: string().regex(/^https:\/\/[^\s]+$/, { message: 'expected an https:// URL' }),
  /** Name of the environment variable holding the HMAC-SHA256 key (the key itself never goes in a document). */
  secretEnv: string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, { message: 'expected an environment variable name' }),
});
export type HttpsCheckpointCallback = Infer<typeof HttpsCheckpointCallbackSchema>;
