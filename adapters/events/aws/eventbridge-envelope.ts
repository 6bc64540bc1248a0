import { array, looseObject, string, unknown as zunknown, type infer as Infer } from 'zod';
import { ProviderTimeSchema } from '../context.ts';

/** The EventBridge event envelope (the `detail` is read by the parser of its kind). */
export const EventBridgeEnvelopeSchema = looseObject({
  version: string().optional(),
  id: string().min(1),
  'detail-type': string().min(1),
  source: string().min(1),
  account: string().optional(),
  time: ProviderTimeSchema,
  region: string().optional(),
  resources: array(string()).default([]),
  detail: zunknown(),
});
/** An EventBridge event, envelope fields checked. */
export type EventBridgeEnvelope = Infer<typeof EventBridgeEnvelopeSchema>;
