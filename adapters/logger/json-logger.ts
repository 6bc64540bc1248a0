/**
 * The runtime's logger: pino, one JSON object per line (`level`, `time`, fields, `message`), written
 * synchronously, which CloudWatch Logs, Cloud Logging and Azure Monitor parse as structured entries. Secrets
 * never print: fields named like a secret are replaced at any depth (pino's `formatters.log`), and known secret
 * values are replaced wherever they appear in the finished line (pino's `streamWrite` hook), since an error
 * message from a client library may quote a URL or a header.
 *
 * pino's `redact` takes paths (`a.b.token`, `*.password`), not a field name at any depth, hence the formatter.
 * The function bundles leave out what pino needs only for its worker-thread transports and file destinations
 * (infra/plugins/esbuild-plugins.cjs): lines go to the writer given here, never through a transport.
 */
import { pino } from 'pino';
import type { Logger } from '../ports/logger.ts';

/** Field names whose values are replaced whatever they hold. */
const SECRET_FIELD = /token|secret|password|authorization|credential/i;
const REDACTED = '[redacted]';
/** Deeper than this a field is cut (log fields are small; this bounds the walk on a pathological object). */
const MAX_DEPTH = 10;

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /** Where each line goes, without its newline; default standard output. */
  write?: (line: string) => void;
  /** Exact values to replace with `[redacted]` wherever they appear (messages, nested fields, error text). */
  secrets?: readonly string[];
}

/**
 * Replace secret-named fields at any depth and keep errors to their name and message (a stack trace
 * is for a debugger, and a library's may quote its arguments).
 */
function redactFields(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value) || depth > MAX_DEPTH) return '[cut]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactFields(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) ? REDACTED : redactFields(field, depth + 1, seen);
  }
  return out;
}

/**
 * Whether `value` is plain data with nothing to redact: strings, numbers, booleans, null, and arrays and
 * plain objects (object literals) of them, no field named like a secret, no `toJSON`, within the depth. Such fields go to pino
 * as they are: the copy `redactFields` makes and the trial `JSON.stringify` of `writable` would give the
 * same line (JSON.stringify cannot throw on them). Most lines are of this kind, and the copy and the trial
 * were about a third of a line's cost (`npm run bench:function`, one line per decision).
 */
function plain(value: unknown, depth: number): boolean {
  // A bigint or an Error is rewritten by redactFields; functions and symbols it passes as they are.
  if (typeof value !== 'object' || value === null) return typeof value !== 'bigint';
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.every((item) => plain(item, depth + 1));
  return (
    Object.getPrototypeOf(value) === Object.prototype &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function' &&
    Object.keys(value).every(
      (key) => !SECRET_FIELD.test(key) && plain((value as Record<string, unknown>)[key], depth + 1),
    )
  );
}

/**
 * What pino writes for a field JSON cannot write (a throwing `toJSON`): the line still goes out, saying so.
 * pino would fall back to its safe stringifier, which calls the same `toJSON` and throws again.
 */
function writable(fields: Record<string, unknown>): Record<string, unknown> {
  try {
    JSON.stringify(fields);
    return fields;
  } catch (error) {
    return { logError: (error as Error).message };
  }
}

/** A pino logger behind the {@link Logger} port. */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  // As they appear inside JSON text too (a quote or backslash in a secret is escaped there); longest first so
  // a secret containing another is replaced whole.
  const secrets = [
    ...new Set((options.secrets ?? []).flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)])),
  ].sort((a, b) => b.length - a.length);
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const logger = pino(
    {
      base: undefined,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      // pino's own error serializer writes the stack; the formatter below has already kept name and message.
      serializers: { err: (value: unknown) => value },
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) =>
          plain(fields, 0) ? fields : writable(redactFields(fields, 0, new WeakSet()) as Record<string, unknown>),
      },
      hooks: {
        streamWrite: (line) =>
          secrets.reduce((out, secret) => (out.includes(secret) ? out.split(secret).join(REDACTED) : out), line),
      },
    },
    // pino writes synchronously to an object with `write`: nothing is buffered when a function freezes.
    { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) },
  );
  return {
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}
