/**
 * The boundary: bytes (or an already-decoded JSON value) in, a result out, never a throw. The size limit is
 * checked before anything is decoded; any error a parser did not anticipate is caught here and reported as
 * an `EventParseError` too, so a bad payload maps to HTTP 400 or a dead-letter, never to a retry loop.
 */
import { EventParseError } from './errors.ts';
import { dispatch, EVENT_SOURCES, findEventSource } from './registry.ts';
import { resolveOptions, type EventParseResult, type EventSourceName, type ParseOptions } from './types.ts';
import type { ParseContext } from './context.ts';

/** Every source name `parseEvent` takes, `auto` first. */
export const SOURCE_CHOICES: readonly string[] = ['auto', ...EVENT_SOURCES.map((source) => source.name)];

function failure(
  source: string,
  path: string,
  code: EventParseError['code'],
  reason: string,
  cause?: unknown,
): EventParseResult {
  return {
    ok: false,
    error: new EventParseError(source, path, code, reason, cause === undefined ? undefined : { cause }),
  };
}

/**
 * Parse a payload as `source` (or recognise it: `auto`). `raw` is the request body as text or bytes, or a
 * value the runtime already decoded (a Lambda event).
 */
export function parseEvent(
  raw: unknown,
  source: EventSourceName | 'auto' | string = 'auto',
  options: ParseOptions = {},
): EventParseResult {
  const resolved = resolveOptions(options);
  const label = source;
  if (source !== 'auto' && !findEventSource(source)) {
    return failure(
      label,
      '(root)',
      'unknown-source',
      `unknown source; expected one of ${SOURCE_CHOICES.join(', ')}, was: "${source}"`,
    );
  }
  let payload: unknown = raw;
  try {
    if (typeof raw === 'string' || raw instanceof Uint8Array) {
      const bytes = typeof raw === 'string' ? Buffer.byteLength(raw, 'utf8') : raw.byteLength;
      if (bytes > resolved.maxBytes) {
        return failure(
          label,
          '(root)',
          'too-large',
          `payload is ${bytes} bytes, over the ${resolved.maxBytes}-byte limit`,
        );
      }
      const decoded = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
      // A UTF-8 byte-order mark (Windows editors, some HTTP clients) is not part of the JSON.
      const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
      try {
        payload = JSON.parse(text);
      } catch (error) {
        return failure(label, '(root)', 'malformed', `not JSON: ${(error as Error).message}`, error);
      }
    } else {
      const text = JSON.stringify(raw);
      const bytes = text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
      if (bytes > resolved.maxBytes) {
        return failure(
          label,
          '(root)',
          'too-large',
          `payload is ${bytes} bytes, over the ${resolved.maxBytes}-byte limit`,
        );
      }
    }
  } catch (error) {
    return failure(label, '(root)', 'malformed', `cannot read the payload: ${(error as Error).message}`, error);
  }
  const ctx: ParseContext = { source: source as EventSourceName | 'auto', path: [], options: resolved, dispatch };
  try {
    if (source === 'auto')
      return {
        ok: true,
        event: dispatch(
          payload,
          EVENT_SOURCES.map((s) => s.name),
          ctx,
        ),
      };
    return { ok: true, event: findEventSource(source)!.parse(payload, ctx) };
  } catch (error) {
    if (error instanceof EventParseError) return { ok: false, error };
    return failure(
      label,
      '(root)',
      'parser-failure',
      `unexpected failure: ${(error as Error)?.message ?? String(error)}`,
      error,
    );
  }
}
