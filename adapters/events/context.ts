import { createHash } from 'node:crypto';
import { NEVER, number, string, union, type ZodType } from 'zod';
import { formatPath } from '../../core/errors.ts';
import { isInstant } from '../../core/schema/common.ts';
import { SignalSchema, type Signal, type SignalInput } from '../../core/schema/signal.ts';
import { EventParseError, type EventParseErrorCode } from './errors.ts';
import type { EventSourceName, ParsedEvent, ResolvedParseOptions } from './types.ts';
import type { SignalRoute } from '../../core/triggers/match.ts';
import { dict } from '../../core/dictionary.ts';

/** Parses a payload embedded in another (an SQS body, an SNS message, Pub/Sub data) as one of `allowed`. */
export type Dispatch = (payload: unknown, allowed: readonly EventSourceName[], ctx: ParseContext) => ParsedEvent;

/** Where a parser is: which source it reads, the path from the payload's root, the options. */
export interface ParseContext {
  /** The source being read; `auto` until the payload is recognised. */
  source: EventSourceName | 'auto';
  path: readonly PropertyKey[];
  options: ResolvedParseOptions;
  dispatch: Dispatch;
  /**
   * The id of the envelope around this payload (SNS MessageId, SQS messageId, Pub/Sub messageId): the
   * event id of a payload that has none of its own (CloudWatch's SNS alarm JSON, a tick body).
   */
  envelopeId?: string;
}

/** The same context one level down (`key` is a field name or an array index). */
export function child(ctx: ParseContext, ...keys: PropertyKey[]): ParseContext {
  return { ...ctx, path: [...ctx.path, ...keys] };
}

/** The context for reading a nested payload as `source`. */
export function as(ctx: ParseContext, source: EventSourceName): ParseContext {
  return { ...ctx, source };
}

/** Throw the typed error for this place in the payload. */
export function fail(ctx: ParseContext, code: EventParseErrorCode, reason: string, cause?: unknown): never {
  throw new EventParseError(
    ctx.source,
    formatPath(ctx.path),
    code,
    reason,
    cause === undefined ? undefined : { cause },
  );
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Validate `data` against a schema of the provider's payload. The error names the first failing field by
 * its full path from the payload's root, what was expected and what was there.
 */
export function check<T>(schema: ZodType<T>, data: unknown, ctx: ParseContext): T {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
  const received = 'input' in issue ? describe(issue.input) : 'nothing (the field is missing)';
  const message = /\bwas: /.test(issue.message) ? issue.message : `${issue.message}, was: ${received}`;
  return fail(child(ctx, ...issue.path), 'invalid', `${message}${more}`);
}

/** Parse a JSON string embedded in a payload (SNS `Message`, SQS `body`, CloudWatch `reasonData`). */
export function decodeJson(text: string, ctx: ParseContext): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return fail(
      ctx,
      'malformed',
      `expected a JSON document (${(error as Error).message}), was: ${describe(text)}`,
      error,
    );
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Decode base64 text (Pub/Sub `data`) to UTF-8, refusing anything that is not base64. */
export function decodeBase64(text: string, ctx: ParseContext): string {
  if (text.length % 4 === 1 || !BASE64.test(text))
    return fail(ctx, 'malformed', `expected base64 data, was: ${describe(text)}`);
  return Buffer.from(text, 'base64').toString('utf8');
}

/** `sha256:<hex>` of the payload: the idempotency key when the provider gives no event id. */
export function contentHash(payload: unknown): string {
  const text = typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? '');
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * Epoch milliseconds from the timestamp shapes providers use: ISO-8601 (`Z`, `+00:00`, or CloudWatch's
 * `+0000`; any number of fraction digits), RFC 1123 (`Mon, 19 Sep 2016 18:29:47 GMT`, Azure Scheduled
 * Events), epoch milliseconds (SageMaker, as a number or a string) and epoch seconds (Cloud Monitoring).
 * Numbers below 10^11 are seconds: 10^11 ms is 1973, 10^11 s is the year 5138.
 */
export function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    const ms = Math.round(value < 1e11 ? value * 1000 : value);
    // Past the year 9999 is no instant a provider means (and past 8.64e15 no Date at all).
    return isInstant(ms) ? ms : undefined;
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return toEpochMs(Number(value));
  const normalised = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  // Date.parse accepts odd strings ("1", "March"); insist on a year and a time of day.
  if (!/\d{4}/.test(normalised) || !/\d{1,2}:\d{2}/.test(normalised)) return undefined;
  const ms = Date.parse(normalised);
  return isInstant(ms) ? ms : undefined;
}

/** A provider timestamp field (any shape `toEpochMs` reads), parsed to epoch ms. */
export const ProviderTimeSchema: ZodType<number, unknown> = union([string(), number()]).transform((value, ctx) => {
  // One read of the timestamp (a refine then a transform read it twice: three regular expressions and a
  // Date.parse each time, for each of an alarm event's three timestamps).
  const ms = toEpochMs(value);
  if (ms !== undefined) return ms;
  ctx.issues.push({ code: 'custom', message: 'expected a timestamp (ISO-8601, RFC 1123 or epoch)', input: value });
  return NEVER;
}) as unknown as ZodType<number, unknown>;

/** Check a signal the parser built against the core's schema, so nothing malformed reaches `decide`. */
export function finishSignal(input: SignalInput, ctx: ParseContext): Signal {
  const result = SignalSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  return fail(
    ctx,
    'invalid',
    `the payload gives an unusable ${input.kind} signal: ${formatPath(issue.path)}: ${issue.message}`,
  );
}

/** Strings only: providers put numbers and nulls in label maps; triggers compare strings. */
export function stringMap(record: Record<string, unknown> | null | undefined): Record<string, string> {
  const out = dict<string>();
  for (const [key, value] of Object.entries(record ?? {})) {
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
  }
  return out;
}

/** A finite number from a number or a numeric string ("0.9", "25"), else undefined. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '' && value.length <= 40) {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** An empty result for `source`, to fill in. */
export function emptyEvent(source: EventSourceName | 'auto', eventId: string): ParsedEvent {
  // Unreachable: dispatch names the source before any parser runs. Caught at the boundary if it ever is.
  if (source === 'auto')
    throw new EventParseError('auto', '(root)', 'parser-failure', 'a parser ran before the payload was recognised');
  return { source, eventId, signals: [], notes: [] };
}

/** The common result of a parser: one event carrying one signal and its route. */
export function oneSignalEvent(ctx: ParseContext, eventId: string, signal: Signal, route: SignalRoute): ParsedEvent {
  const event = emptyEvent(ctx.source, eventId);
  event.signals.push({ signal, route });
  return event;
}
