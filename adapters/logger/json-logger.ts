/**
 * The runtime's logger: one JSON object per line (`level`, `time`, fields, `message`), written synchronously,
 * which CloudWatch Logs, Cloud Logging and Azure Monitor parse as structured entries. Secrets never print:
 * fields named like a secret are replaced at any depth, and known secret values are replaced wherever they
 * appear in the finished line, since an error message from a client library may quote a URL or a header.
 *
 * It was pino (the same lines); what Tide used of it was JSON.stringify with a level and a time, written to
 * its own synchronous sink with its own redaction, and pino brought about 60 KB of modules (worker-thread
 * transports, sonic-boom, its serializers) into every function's cold start (issue 18).
 */
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

/** The JSON-lines logger behind the {@link Logger} port. */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  // As they appear inside JSON text too (a quote or backslash in a secret is escaped there); longest first so
  // a secret containing another is replaced whole.
  const secrets = [
    ...new Set((options.secrets ?? []).flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)])),
  ].sort((a, b) => b.length - a.length);
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = (level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> | undefined) => {
    const time = new Date().toISOString();
    let line: string;
    try {
      const redacted = redactFields(fields ?? {}, 0, new WeakSet()) as Record<string, unknown>;
      line = JSON.stringify({ level, time, ...redacted, message });
    } catch (error) {
      // A field JSON cannot write (a throwing toJSON): the line still goes out, saying so.
      line = JSON.stringify({ level, time, message, logError: (error as Error).message });
    }
    write(secrets.reduce((out, secret) => out.split(secret).join(REDACTED), line));
  };
  return {
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}
