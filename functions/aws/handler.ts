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
 *
 * Before parsing, every sender is authenticated (adapters/auth): each SQS body against the account, rule
 * and topic allow-list, with SNS signatures verified; SNS records by their signature; direct events by
 * their account. The handler also watches Lambda's deadline: it takes an SQS record only while the time
 * left covers one more, reports the rest as failed, and bounds every state store call by the time left.
 */
import {
  createSenderAuth,
  senderAuthOptionsFromEnv,
  type AuthResult,
  type SenderAuth,
} from '../../adapters/auth/index.ts';
import type { EventSourceName, ParseOptions } from '../../adapters/events/index.ts';
import { createAwsClients, type AwsClients } from '../../adapters/aws/clients.ts';
import { createLazyAwsActuatorFactory } from '../../adapters/aws/lazy.ts';
import type { ActuatorPort } from '../../adapters/ports/actuator.ts';
import type { Target } from '../../core/schema/target.ts';
import { withStateDeadline } from '../../adapters/state/deadline.ts';
import type { DeliveryPacer, IngestResult } from '../shell/ingest.ts';
import { DeadlineNearError } from '../shell/errors.ts';
import { createJsonLogger } from '../../adapters/logger/json-logger.ts';
import { AWS_FUNCTION_SOURCES } from './sources.ts';
import { withReadableStack } from '../shell/readable-stack.ts';
import { createRuntime, secretsOf, type Runtime } from '../shell/runtime.ts';

/** The AWS provider as a handler carries it: the SDK clients (loaded on first use) and one actuator per target. */
export interface AwsProviderDeps {
  clients: AwsClients;
  env: Record<string, string | undefined>;
  actuatorOf: (target: Target) => ActuatorPort;
}

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

/** A scheduled tick, by its shape: an EventBridge schedule rule's `Scheduled Event`, or Tide's tick body. */
export function isScheduleTick(event: unknown): boolean {
  if (isEventBridgeEvent(event)) return event['detail-type'] === 'Scheduled Event';
  return typeof event === 'object' && event !== null && (event as Record<string, unknown>).tide === 'schedule-tick';
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

/** What the handler reads of Lambda's context object. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  /** `arn:aws:lambda:<region>:<account>:function:<name>`: its account is the default allow-list. */
  invokedFunctionArn?: string;
}

/** Options of {@link createAwsHandler}. */
export interface AwsHandlerOptions {
  /**
   * Who may send events. A `SenderAuth`, or a factory given the function's own account (from the context);
   * default: from the environment (adapters/auth/config.ts) with the runtime's logger.
   */
  auth?: SenderAuth | ((ownAccount: string | undefined, runtime: Runtime) => SenderAuth);
  /** Kept free at the end of the invocation to write the response and logs, ms (default 1000). */
  reserveMs?: number;
  /** The least time one SQS record is assumed to need, ms (default 1000); the slowest record so far counts if longer. */
  minRecordMs?: number;
  /** The AWS adapters: with them the scheduled tick also reads metrics and failed launches (see ./tick.ts). */
  aws?: AwsProviderDeps;
}

type SqsRecord = SqsLambdaEvent['Records'][number];

const accountOf = (arn: string | undefined): string | undefined => {
  const account = arn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
};

function decodeBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined; // the parser reports it, with its position
  }
}

/** Build a handler over a runtime; the runtime is asked for on every invocation (make it memoized). */
export function createAwsHandler(getRuntime: () => Runtime | Promise<Runtime>, options: AwsHandlerOptions = {}) {
  const reserveMs = options.reserveMs ?? 1000;
  const minRecordMs = options.minRecordMs ?? 1000;
  let auth: SenderAuth | undefined = typeof options.auth === 'object' ? options.auth : undefined;
  const authFor = (runtime: Runtime, context: LambdaContext | undefined): SenderAuth => {
    if (auth) return auth;
    const own = accountOf(context?.invokedFunctionArn);
    auth =
      typeof options.auth === 'function'
        ? options.auth(own, runtime)
        : createSenderAuth({ ...senderAuthOptionsFromEnv(process.env, own), logger: runtime.logger });
    return auth;
  };

  /**
   * SQS: every record's sender checked (side by side: an SNS body may fetch its certificate), then the records
   * that pass ingested together, so deliveries for different targets overlap their round trips (one
   * target's stay in the batch's order: see ingest). A delivery starts only while the time left covers
   * one more (the slowest so far, at least `minRecordMs`); the others are reported failed for redelivery.
   */
  const handleSqs = async (
    runtime: Runtime,
    senders: SenderAuth,
    event: SqsLambdaEvent,
    deadlineAt: number,
  ): Promise<SqsBatchResponse> => {
    const failed = new Set<string>();
    const passed = await Promise.all(
      event.Records.map(async (record) => {
        const body = decodeBody(record.body);
        // A body that is not JSON goes to the parser, which reports it with its position.
        if (body === undefined) return true;
        const verdict = await senders.aws!.check(body);
        return senders.record('aws-sqs', verdict, { itemIdentifier: record.messageId }).ok;
      }),
    );
    event.Records.forEach((record, i) => {
      if (!passed[i]) failed.add(record.messageId);
    });
    const taken = event.Records.filter((_, i) => passed[i]);
    let slowest = minRecordMs;
    let leftOver = 0;
    const pacer: DeliveryPacer = {
      check() {
        const remaining = deadlineAt - Date.now();
        if (remaining >= slowest) return null;
        leftOver += 1;
        return new DeadlineNearError(remaining, slowest);
      },
      took(ms) {
        slowest = Math.max(slowest, ms);
      },
    };
    if (taken.length > 0) {
      const result = await withStateDeadline(deadlineAt, () =>
        runtime.ingest.ingest({ Records: taken }, 'aws-sqs', { maxBytes: SQS_BATCH_MAX_BYTES, pacer }),
      );
      for (const { itemIdentifier } of result.batchItemFailures ?? []) failed.add(itemIdentifier);
      if (!result.batchItemFailures && result.failures.nonRetryable.length + result.failures.retryable.length > 0)
        for (const record of taken) failed.add(record.messageId);
    }
    if (leftOver > 0)
      runtime.logger.warn('deadline: deliveries left for redelivery', {
        deliveries: leftOver,
        remainingMs: Math.max(0, deadlineAt - Date.now()),
        perDeliveryMs: slowest,
      });
    // In the batch's order, so the report reads like the batch.
    return {
      batchItemFailures: event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
  };

  /** Every SNS record's signature; the records that pass, and what was refused. */
  const checkSns = async (senders: SenderAuth, event: SnsLambdaEvent) => {
    const results: AuthResult[] = [];
    for (const record of event.Records) {
      const verdict = senders.sns
        ? await senders.sns.verify(record.Sns)
        : ({ ok: false, code: 'not-allowed', reason: 'no SNS verifier configured' } as const);
      const messageId = typeof record.Sns.MessageId === 'string' ? record.Sns.MessageId : '?';
      results.push(senders.record('aws-sns', verdict, { messageId: messageId.slice(0, 100) }));
    }
    return { passed: event.Records.filter((_, i) => results[i]!.ok), results };
  };

  const handle = async (event: unknown, context?: LambdaContext): Promise<SqsBatchResponse | InvocationSummary> => {
    const runtime = await getRuntime();
    const senders = authFor(runtime, context);
    const remaining = context?.getRemainingTimeInMillis();
    // Without a context (an embedding, a test) there is no deadline but the store's own timeouts.
    const deadlineAt = remaining === undefined ? Number.POSITIVE_INFINITY : Date.now() + remaining - reserveMs;
    const { format, options: parseOptions } = formatOf(event);
    const records = isSqsEvent(event) ? (event as SqsLambdaEvent).Records : [];
    if (
      isSqsEvent(event) &&
      records.every((r: Partial<SqsRecord>) => typeof r?.messageId === 'string' && typeof r.body === 'string')
    ) {
      return handleSqs(runtime, senders, event, deadlineAt);
    }

    let payload = event;
    const refused: InvocationSummary['rejected'] = [];
    if (isSnsEvent(event)) {
      const { passed, results } = await checkSns(senders, event);
      const failures = results.flatMap((r) => (r.ok ? [] : [r]));
      // A certificate that could not be fetched is worth another attempt; a bad signature is not.
      if (failures.some((f) => f.code === 'key-unavailable'))
        throw new RetryableIngestError([{ error: { name: 'SenderAuthError', message: failures[0]!.reason } }]);
      for (const f of failures) refused.push({ error: { name: 'SenderAuthError', message: f.reason, code: f.code } });
      if (passed.length === 0) return { source: 'aws-sns', decisions: [], unmatched: 0, rejected: refused };
      payload = { ...event, Records: passed };
    } else if (!isSqsEvent(event)) {
      const sender = senders.record(format, await senders.aws!.check(event));
      if (!sender.ok)
        return {
          source: format,
          decisions: [],
          unmatched: 0,
          rejected: [{ error: { name: 'SenderAuthError', message: sender.reason, code: sender.code } }],
        };
    }
    // The tick also reads the cloud: tracked metrics, step alarms whose stored state is stale, and failed
    // launches as capacity errors. A tick recognised by its shape reads them first, so its own decision sees
    // them; any other delivery that turns out to carry a tick reads them after.
    const aws = options.aws;
    const readCloud = aws
      ? async () => {
          // The tick's readers are a chunk of their own, loaded by the first tick (issue 18: the cold start).
          const { runAwsTick } = await import('./tick.ts');
          return withStateDeadline(deadlineAt, () => runAwsTick(runtime, aws));
        }
      : undefined;
    const early = readCloud && isScheduleTick(event) ? await readCloud() : undefined;
    const result = await withStateDeadline(deadlineAt, () => runtime.ingest.ingest(payload, format, parseOptions));
    const tick = early ?? (readCloud && result.signalKinds.includes('schedule-tick') ? await readCloud() : undefined);
    if (tick) {
      runtime.logger.info('aws tick', { targets: tick.targets, signals: tick.signals, failures: tick.failures.length });
      for (const failure of tick.failures) {
        const entry = { targetId: failure.targetId, error: { name: 'AwsTickError', message: failure.message } };
        (failure.retryable ? result.failures.retryable : result.failures.nonRetryable).push(entry);
      }
    }
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
      rejected: [...refused, ...result.failures.nonRetryable],
    };
  };
  return async function handler(
    event: unknown,
    context?: LambdaContext,
  ): Promise<SqsBatchResponse | InvocationSummary> {
    try {
      return await handle(event, context);
    } catch (error) {
      // Lambda logs what is thrown with its stack: map it to the .ts sources first (see readable-stack.ts).
      throw withReadableStack(error);
    }
  };
}

let runtime: Runtime | undefined;

/**
 * The AWS adapters this function carries: they load at the first action of a target (adapters/aws/lazy.ts),
 * and their SDK packages at the first call that needs one.
 */
const awsClients = createAwsClients();
const awsProvider: AwsProviderDeps = {
  clients: awsClients,
  env: process.env,
  actuatorOf: createLazyAwsActuatorFactory({
    env: process.env,
    clients: awsClients,
    logger: {
      info: (message, fields) => runtime?.logger.info(message, fields),
      warn: (message, fields) => runtime?.logger.warn(message, fields),
    },
  }),
};

/**
 * Build the runtime from the environment, or say plainly why not. The message goes through the redacting
 * logger: a malformed `REDIS_URL` is exactly the value that cannot be parsed to find its password.
 */
export function startRuntime(
  env: Record<string, string | undefined>,
  write: (line: string) => void = (line) => console.error(line),
  aws: AwsProviderDeps = awsProvider,
): Runtime {
  try {
    return createRuntime(env, { providers: { aws: aws.actuatorOf }, eventSources: AWS_FUNCTION_SOURCES });
  } catch (error) {
    createJsonLogger({ write, secrets: secretsOf(env) }).error('tide: cannot start', {
      error: (error as Error).message,
    });
    throw error;
  }
}

/** The Lambda entry point: the runtime is built at the first invocation of a cold start and kept while warm. */
export const handler = createAwsHandler(
  () => {
    runtime ??= startRuntime(process.env);
    return runtime;
  },
  { aws: awsProvider },
);
