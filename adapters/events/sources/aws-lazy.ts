/**
 * AWS's formats with their parsers loaded on demand (adapters/events/registry.ts `ready`): each parser is a chunk
 * of its own in a function bundle, loaded by the first payload of its format (an envelope's with those of what it
 * carries). For the AWS HTTP API's webhooks, which most of its requests (documents, status, keys) never parse;
 * the events function parses every invocation and takes ./aws.ts.
 */
import { contentHash } from '../context.ts';
import type { EventSource, LazyEventSource } from '../registry.ts';
import { AWS_FORMATS, type AwsFormatName } from './aws-formats.ts';

const LOADERS: Record<AwsFormatName, () => Promise<EventSource['parse']>> = {
  'aws-sqs': async () => (await import('../aws/sqs.ts')).parseSqs,
  'aws-sns': async () => (await import('../aws/sns.ts')).parseSns,
  'aws-eventbridge': async () => (await import('../aws/envelope.ts')).parseEventBridge,
  'aws-cloudwatch-alarm': async () => {
    const { parseCloudWatchSnsAlarm } = await import('../aws/cloudwatch-alarm.ts');
    return (payload, ctx) => parseCloudWatchSnsAlarm(payload, ctx.envelopeId ?? contentHash(payload), ctx);
  },
};

/** {@link AWS_FORMATS}, each parser loaded at its format's first payload. */
export const AWS_LAZY_SOURCES: readonly LazyEventSource[] = AWS_FORMATS.map((format) => ({
  ...format,
  load: LOADERS[format.name],
}));
