/** The source registry's AWS entries (adapters/events/registry.ts). */
import { parseCloudWatchSnsAlarm } from '../aws/cloudwatch-alarm.ts';
import { parseEventBridge } from '../aws/envelope.ts';
import { parseSns } from '../aws/sns.ts';
import { parseSqs } from '../aws/sqs.ts';
import { contentHash } from '../context.ts';
import type { EventSource } from '../registry.ts';
import { AWS_FORMATS, type AwsFormatName } from './aws-formats.ts';

const PARSERS: Record<AwsFormatName, EventSource['parse']> = {
  'aws-sqs': parseSqs,
  'aws-sns': parseSns,
  'aws-eventbridge': parseEventBridge,
  'aws-cloudwatch-alarm': (payload, ctx) =>
    parseCloudWatchSnsAlarm(payload, ctx.envelopeId ?? contentHash(payload), ctx),
};

/** AWS's payload formats (SQS and SNS envelopes, EventBridge, the CloudWatch alarm JSON), in detection order. */
export const AWS_SOURCES: readonly EventSource[] = AWS_FORMATS.map((format) => ({
  ...format,
  parse: PARSERS[format.name],
}));
