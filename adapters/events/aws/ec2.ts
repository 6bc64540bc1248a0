/**
 * EC2 spot interruption warnings and rebalance recommendations (EventBridge, source `aws.ec2`). A warning
 * comes two minutes before the instance is stopped or terminated; a hibernating instance gets no two
 * minutes ("hibernation begins immediately"), so its deadline is the event time.
 */
import { enum as zenum, looseObject, string } from 'zod';
import type { SignalRoute } from '../../../core/triggers/match.ts';
import { check, child, finishSignal, type ParseContext, oneSignalEvent } from '../context.ts';
import type { ParsedEvent } from '../types.ts';
import type { EventBridgeEnvelope } from './eventbridge-envelope.ts';

/** AWS's notice: two minutes between the warning and the interruption. */
export const AWS_SPOT_NOTICE_MS = 120_000;

const SpotDetailSchema = looseObject({
  'instance-id': string().min(1),
  'instance-action': zenum(['terminate', 'stop', 'hibernate']),
});

const RebalanceDetailSchema = looseObject({ 'instance-id': string().min(1) });

function route(envelope: EventBridgeEnvelope, instanceId: string): SignalRoute {
  return {
    source: 'aws-ec2',
    dimensions: { InstanceId: instanceId, ...(envelope.region ? { region: envelope.region } : {}) },
    resourceIds: [...envelope.resources, instanceId],
  };
}

/** "EC2 Spot Instance Interruption Warning" → `spot-interruption`. */
export function parseSpotInterruption(envelope: EventBridgeEnvelope, ctx: ParseContext): ParsedEvent {
  const detail = check(SpotDetailSchema, envelope.detail, child(ctx, 'detail'));
  const action = detail['instance-action'];
  const deadlineAt = action === 'hibernate' ? envelope.time : envelope.time + AWS_SPOT_NOTICE_MS;
  const signal = finishSignal(
    {
      kind: 'spot-interruption',
      instanceId: detail['instance-id'],
      action,
      deadlineAt,
      observedAt: envelope.time,
      source: 'aws-ec2',
      eventId: envelope.id,
    },
    ctx,
  );
  return oneSignalEvent(ctx, envelope.id, signal, route(envelope, detail['instance-id']));
}

/** "EC2 Instance Rebalance Recommendation" → `rebalance-recommendation`. */
export function parseRebalanceRecommendation(envelope: EventBridgeEnvelope, ctx: ParseContext): ParsedEvent {
  const detail = check(RebalanceDetailSchema, envelope.detail, child(ctx, 'detail'));
  const signal = finishSignal(
    {
      kind: 'rebalance-recommendation',
      instanceId: detail['instance-id'],
      observedAt: envelope.time,
      source: 'aws-ec2',
      eventId: envelope.id,
    },
    ctx,
  );
  return oneSignalEvent(ctx, envelope.id, signal, route(envelope, detail['instance-id']));
}
