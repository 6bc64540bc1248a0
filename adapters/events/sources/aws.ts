/** The source registry's AWS entries (adapters/events/registry.ts). */
import { parseCloudWatchSnsAlarm } from '../aws/cloudwatch-alarm.ts';
import { parseEventBridge } from '../aws/envelope.ts';
import { looksLikeSns, parseSns } from '../aws/sns.ts';
import { looksLikeSqs, parseSqs } from '../aws/sqs.ts';
import { contentHash } from '../context.ts';
import { objectWith, type EventSource } from '../registry.ts';

/** AWS's payload formats (SQS and SNS envelopes, EventBridge, the CloudWatch alarm JSON), in detection order. */
export const AWS_SOURCES: readonly EventSource[] = [
  {
    name: 'aws-sqs',
    summary: 'Lambda SQS batch (Records[].body: EventBridge, SNS, raw alarm, tick or CloudEvent)',
    detect: objectWith(looksLikeSqs),
    parse: parseSqs,
  },
  {
    name: 'aws-sns',
    summary: 'SNS notification, Lambda (Records[].Sns) or HTTPS; Message: alarm, EventBridge, tick or CloudEvent',
    detect: objectWith(looksLikeSns),
    parse: parseSns,
  },
  {
    name: 'aws-eventbridge',
    summary: 'EventBridge event: CloudWatch alarm, spot warning, rebalance, SageMaker training job, schedule rule',
    detect: objectWith((p) => typeof p['detail-type'] === 'string' && 'detail' in p),
    parse: parseEventBridge,
  },
  {
    name: 'aws-cloudwatch-alarm',
    summary: 'the CloudWatch alarm JSON that SNS carries (also a raw-delivery SQS body)',
    detect: objectWith((p) => typeof p.AlarmName === 'string' && 'NewStateValue' in p),
    parse: (payload, ctx) => parseCloudWatchSnsAlarm(payload, ctx.envelopeId ?? contentHash(payload), ctx),
  },
];
