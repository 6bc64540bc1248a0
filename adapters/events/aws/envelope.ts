/**
 * The dispatch from an EventBridge event's `detail-type` to the parser of that kind (one small parser per
 * kind, as Karpenter's interruption controller does it). The envelope itself is in ./eventbridge-envelope.ts,
 * which the parsers read too (so they do not import the dispatch that imports them).
 */
import { check, fail, type ParseContext } from '../context.ts';
import type { ParsedEvent } from '../types.ts';
import { fastCloudWatchAlarmEvent, parseCloudWatchAlarmEvent } from './cloudwatch-alarm.ts';
import { EventBridgeEnvelopeSchema, type EventBridgeEnvelope } from './eventbridge-envelope.ts';
import { parseRebalanceRecommendation, parseSpotInterruption } from './ec2.ts';
import { parseSageMakerTrainingJob } from './sagemaker.ts';
import { parseScheduledEvent } from './scheduled-event.ts';
import { own } from '../../../core/dictionary.ts';

type KindParser = (envelope: EventBridgeEnvelope, ctx: ParseContext) => ParsedEvent;

/** `detail-type` → parser. Anything else is a well-formed event Tide does not act on. */
const KINDS: Record<string, KindParser> = {
  'CloudWatch Alarm State Change': parseCloudWatchAlarmEvent,
  'EC2 Spot Instance Interruption Warning': parseSpotInterruption,
  'EC2 Instance Rebalance Recommendation': parseRebalanceRecommendation,
  'SageMaker Training Job State Change': parseSageMakerTrainingJob,
  'Scheduled Event': parseScheduledEvent,
};

/** The detail-types Tide reads, for documentation and error messages. */
export const EVENTBRIDGE_DETAIL_TYPES = Object.keys(KINDS);

/**
 * An EventBridge event (as a Lambda target receives it, or as an SQS or SNS target carries it). The common
 * CloudWatch alarm is read by hand first (cloudwatch-alarm.ts says why and how it keeps to the schemas);
 * anything else, and any alarm it does not fully recognise, through the schemas.
 */
export function parseEventBridge(payload: unknown, ctx: ParseContext): ParsedEvent {
  return fastCloudWatchAlarmEvent(payload, ctx) ?? parseEventBridgeWithSchemas(payload, ctx);
}

/** An EventBridge event read through the schemas only (the reference the hand-read alarm is tested against). */
export function parseEventBridgeWithSchemas(payload: unknown, ctx: ParseContext): ParsedEvent {
  const envelope = check(EventBridgeEnvelopeSchema, payload, ctx);
  // own(): a detail-type of "constructor" found Object's constructor and returned the envelope as the event.
  const kind = own(KINDS, envelope['detail-type']);
  if (!kind) {
    return fail(
      { ...ctx, path: [...ctx.path, 'detail-type'] },
      'unsupported',
      `Tide reads ${EVENTBRIDGE_DETAIL_TYPES.map((t) => `"${t}"`).join(', ')}, was: "${envelope['detail-type']}"`,
    );
  }
  return kind(envelope, ctx);
}
