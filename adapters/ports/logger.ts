/**
 * The logger port: structured lines, a message and fields. The runtime's implementation is JSON lines with
 * redaction (adapters/logger/json-logger.ts); tests use a recording logger. Parts that only warn or inform take
 * `Pick<Logger, …>` so a test can hand them less.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
