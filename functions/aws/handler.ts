/**
 * The AWS Lambda handler (serverless.yml: `functions/aws/handler.handler`). Thin, in the manner of hono's
 * Lambda adapter: type guards tell the event variants apart, `ingest` does the work, and the result is
 * mapped back to what Lambda understands:
 *
 * - SQS batch: `{ batchItemFailures }` lists every record that failed (bad records, and records whose
 *   decision failed retryably); Lambda redelivers those alone and dead-letters them after `maxReceiveCount`.
 * - EventBridge, SNS, or anything else invoked directly: bad input is logged and the invocation succeeds (a
 *   retry would fail the same way); a retryable failure throws, so Lambda retries and then sends the event
 *   to the on-failure destination.
 */
import type { EventSourceName, ParseOptions } from '../../adapters/events/index.ts';
import type { IngestResult } from '../shell/ingest.ts';
import { withReadableStack } from '../shell/readable-stack.ts';
import { createRuntime, type Runtime } from '../shell/runtime.ts';

/** A Lambda SQS event (only what the guard needs; the parser validates the rest). */
export interface SqsLambdaEvent {
  Records: { eventSource: 'aws:sqs'; messageId: string; body: string }[];
}
/** A Lambda SNS event. */
export interface SnsLambdaEvent {
  Records: { EventSource: 'aws:sns'; Sns: Record<string, unknown> }[];
}
/** An EventBridge event, as a rule's Lambda target receives it. */
export interface EventBridgeLambdaEvent {
  'detail-type': string;
  source: string;
  detail: unknown;
}
/** Lambda's partial batch response. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}
/** What the handler returns for events other than SQS (ignored by asynchronous invocations; useful in tests and logs). */
export interface InvocationSummary {
  source: string;
  decisions: IngestResult['decisions'];
  unmatched: number;
  rejected: IngestResult['failures']['nonRetryable'];
}

function firstRecord(event: unknown): Record<string, unknown> | undefined {
  const records = (event as { Records?: unknown } | null)?.Records;
  const first = Array.isArray(records) ? (records[0] as unknown) : undefined;
  return typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined;
}

/** An SQS batch (event source mapping). */
export function isSqsEvent(event: unknown): event is SqsLambdaEvent {
  return firstRecord(event)?.eventSource === 'aws:sqs';
}
/** An SNS notification delivered to Lambda (note the capital `EventSource`). */
export function isSnsEvent(event: unknown): event is SnsLambdaEvent {
  return firstRecord(event)?.EventSource === 'aws:sns';
}
/** An EventBridge event (rule or schedule rule target). */
export function isEventBridgeEvent(event: unknown): event is EventBridgeLambdaEvent {
  return (
    typeof event === 'object' && event !== null && typeof (event as Record<string, unknown>)['detail-type'] === 'string'
  );
}

/**
 * Lambda's own limit on an invocation payload (6 MB). An SQS batch of 10 messages can exceed the parser's
 * 256 KB default, which is meant for one message; each record is still bounded by SQS's message limit.
 */
const SQS_BATCH_MAX_BYTES = 6 * 1024 * 1024;

/** Thrown so Lambda retries: the state store was unavailable, a commit lost every race, or acting failed. */
export class RetryableIngestError extends Error {
  override readonly name = 'RetryableIngestError';
  readonly retryable = true;
  constructor(readonly failures: IngestResult['failures']['retryable']) {
    super(
      `${failures.length} deliver${failures.length === 1 ? 'y' : 'ies'} failed and must be retried: ${failures.map((f) => `${f.targetId ?? '?'}: ${f.error.message}`).join('; ')}`,
    );
  }
}

/** The format to parse an event as, from its shape. */
export function formatOf(event: unknown): { format: EventSourceName | 'auto'; options: ParseOptions } {
  if (isSqsEvent(event)) return { format: 'aws-sqs', options: { maxBytes: SQS_BATCH_MAX_BYTES } };
  if (isSnsEvent(event)) return { format: 'aws-sns', options: {} };
  if (isEventBridgeEvent(event)) return { format: 'aws-eventbridge', options: {} };
  // Direct invocations, e.g. EventBridge Scheduler with Tide's tick body as the input.
  return { format: 'auto', options: {} };
}

/** Build a handler over a runtime; the runtime is asked for on every invocation (make it memoized). */
export function createAwsHandler(getRuntime: () => Runtime | Promise<Runtime>) {
  const handle = async (event: unknown): Promise<SqsBatchResponse | InvocationSummary> => {
    const runtime = await getRuntime();
    const { format, options } = formatOf(event);
    const result = await runtime.ingest.ingest(event, format, options);
    if (isSqsEvent(event) && result.batchItemFailures) {
      // Never throw for a batch: that would redeliver the records that succeeded too.
      return { batchItemFailures: result.batchItemFailures };
    }
    if (result.failures.retryable.length > 0) throw new RetryableIngestError(result.failures.retryable);
    if (format === 'aws-sqs') {
      // The batch as a whole could not be read (not an SQS event after all): report every record we can name.
      const ids = (event as SqsLambdaEvent).Records.flatMap((record) =>
        typeof record.messageId === 'string' ? [{ itemIdentifier: record.messageId }] : [],
      );
      return { batchItemFailures: result.failures.nonRetryable.length > 0 ? ids : [] };
    }
    return {
      source: result.source,
      decisions: result.decisions,
      unmatched: result.unmatched.length,
      rejected: result.failures.nonRetryable,
    };
  };
  return async function handler(event: unknown): Promise<SqsBatchResponse | InvocationSummary> {
    try {
      return await handle(event);
    } catch (error) {
      // Lambda logs what is thrown with its stack: map it to the .ts sources first (see readable-stack.ts).
      throw withReadableStack(error);
    }
  };
}

let runtime: Runtime | undefined;

/** The Lambda entry point: the runtime is built at the first invocation of a cold start and kept while warm. */
export const handler = createAwsHandler(() => {
  try {
    runtime ??= createRuntime(process.env);
  } catch (error) {
    // A bad deployment: say so plainly on every invocation until it is fixed (the runtime's logger may not exist).
    console.error(
      JSON.stringify({
        level: 'error',
        time: new Date().toISOString(),
        message: 'tide: cannot start',
        error: (error as Error).message,
      }),
    );
    throw error;
  }
  return runtime;
});
