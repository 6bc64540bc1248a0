/**
 * What went wrong reading an event payload. Every parser failure is one of these: it names the source that
 * was being read and the path inside the payload that failed, so a dead-letter record or an HTTP 400 body
 * says exactly what to fix. None of them is worth retrying: the same bytes fail the same way.
 */
export type EventParseErrorCode =
  /** The payload is larger than the configured limit (default 256 KB). */
  | 'too-large'
  /** Not JSON, truncated JSON, or an embedded JSON/base64 field that does not decode. */
  | 'malformed'
  /** JSON, but a field is missing or has the wrong type or value. */
  | 'invalid'
  /** `--source auto` could not tell what the payload is, or the source name is not known. */
  | 'unknown-source'
  /** A well-formed event of a kind Tide does not act on (e.g. an EC2 state-change notification). */
  | 'unsupported'
  /** A parser failed in a way it did not anticipate (a bug); still a 400, never a retry loop. */
  | 'parser-failure';

/** A payload could not be turned into signals. */
export class EventParseError extends Error {
  override readonly name = 'EventParseError';
  /** Bad input never gets better by retrying: HTTP 400, or the dead-letter queue. */
  readonly httpStatus = 400;
  readonly retryable = false;
  constructor(
    /** Source that was being read, e.g. `aws-sqs`, `gcp-pubsub`, `alertmanager`. */
    readonly source: string,
    /** Where in the payload, e.g. `Records[2].body.detail.state.value`; `(root)` for the whole payload. */
    readonly path: string,
    readonly code: EventParseErrorCode,
    /** What is wrong, with the value found where that helps (never a secret: payloads carry none we keep). */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${path}: ${reason}`, options);
  }

  /** The error as a plain object, for JSON output, HTTP bodies and logs. */
  toJSON(): { error: string; code: EventParseErrorCode; source: string; path: string; message: string } {
    return { error: this.name, code: this.code, source: this.source, path: this.path, message: this.reason };
  }
}

/** Type guard for callers that catch `unknown`. */
export function isEventParseError(error: unknown): error is EventParseError {
  return error instanceof EventParseError;
}
