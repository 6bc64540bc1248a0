/** AWS's payload formats without their parsers (./aws.ts adds them; ./aws-lazy.ts loads them on demand). */
import { looksLikeSns, looksLikeSqs, SNS_INNER_SOURCES, SQS_INNER_SOURCES } from '../aws/detect.ts';
import { objectWith, type EventFormat } from '../registry.ts';

/** AWS's payload formats (SQS and SNS envelopes, EventBridge, the CloudWatch alarm JSON), in detection order. */
export const AWS_FORMATS = [
  {
    name: 'aws-sqs',
    summary: 'Lambda SQS batch (Records[].body: EventBridge, SNS, raw alarm, tick or CloudEvent)',
    detect: objectWith(looksLikeSqs),
    carries: SQS_INNER_SOURCES,
  },
  {
    name: 'aws-sns',
    summary: 'SNS notification, Lambda (Records[].Sns) or HTTPS; Message: alarm, EventBridge, tick or CloudEvent',
    detect: objectWith(looksLikeSns),
    carries: SNS_INNER_SOURCES,
  },
  {
    name: 'aws-eventbridge',
    summary: 'EventBridge event: CloudWatch alarm, spot warning, rebalance, SageMaker training job, schedule rule',
    detect: objectWith((p) => typeof p['detail-type'] === 'string' && 'detail' in p),
  },
  {
    name: 'aws-cloudwatch-alarm',
    summary: 'the CloudWatch alarm JSON that SNS carries (also a raw-delivery SQS body)',
    detect: objectWith((p) => typeof p.AlarmName === 'string' && 'NewStateValue' in p),
  },
] as const satisfies readonly EventFormat[];

/** The name of one of AWS's formats. */
export type AwsFormatName = (typeof AWS_FORMATS)[number]['name'];
