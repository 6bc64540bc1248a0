/**
 * The boundary: bytes (or an already-decoded JSON value) in, a result out, never a throw. The size limit is
 * checked before anything is decoded; any error a parser did not anticipate is caught here and reported as
 * an `EventParseError` too, so a bad payload maps to HTTP 400 or a dead-letter, never to a retry loop.
 */
import { EventParseError } from './errors.ts';
import type { EventRegistry } from './registry.ts';
import { resolveOptions, type EventParseResult, type EventSourceName, type ParseOptions } from './types.ts';
import type { ParseContext } from './context.ts';

/** Parses a payload as one source of a registry (or recognises it: `auto`); never throws. */
export type EventParser = (
  raw: unknown,
  source?: EventSourceName | 'auto' | string,
  options?: ParseOptions,
) => EventParseResult;

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
 * The parser of `registry`'s sources: a payload as `source` (or recognised: `auto`). `raw` is the request
 * body as text or bytes, or a value the runtime already decoded (a Lambda event). A source the registry does
 * not have (another cloud's, in a cloud's function) is `unknown-source`, naming those it has.
 */
export function createEventParser(registry: EventRegistry): EventParser {
  const choices = ['auto', ...registry.sources.map((known) => known.name)].join(', ');
  const allNames = registry.sources.map((known) => known.name);
  const dispatch = registry.dispatch;
  return (raw, source = 'auto', options = {}) => {
    const resolved = resolveOptions(options);
    const label = source;
    if (source !== 'auto' && !registry.find(source)) {
      return failure(label, '(root)', 'unknown-source', `unknown source; expected one of ${choices}, was: "${source}"`);
    }
    let payload: unknown = raw;
    try {
      if (typeof raw === 'string' || raw instanceof Uint8Array) {
        // Text longer than the limit in UTF-16 units is longer in UTF-8 bytes too: refused without a scan, so
        // the cost of refusing does not grow with the payload.
        if (typeof raw === 'string' && raw.length > resolved.maxBytes)
          return failure(
            label,
            '(root)',
            'too-large',
            `payload is at least ${raw.length} bytes, over the ${resolved.maxBytes}-byte limit`,
          );
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
        const { over, proven } = jsonLengthOver(raw, resolved.maxBytes);
        if (over !== null)
          return failure(
            label,
            '(root)',
            'too-large',
            `payload is at least ${over} bytes as JSON, over the ${resolved.maxBytes}-byte limit`,
          );
        // Under the limit as counted above, so serializing it costs at most a bounded amount.
        const text = proven ? undefined : JSON.stringify(raw);
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
          event: dispatch(payload, allNames, ctx),
        };
      return { ok: true, event: registry.find(source)!.parse(payload, ctx) };
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
  };
}

/**
 * Bounds of `value`'s JSON length in UTF-8 bytes. `over`: a lower bound, counted only until it passes `limit`:
 * the bound when it does (the value is too large), null when the whole value counts no more than `limit`. A
 * string counts its UTF-16 length and its quotes (its UTF-8 is never shorter), a member its key, quotes, colon
 * and comma, an element its comma, any other value 1, and every node is visited at most once, so the count
 * stops after about `limit` steps whatever the value's size (an already-decoded value from a runtime can be
 * as large as that runtime lets it be). `proven`: the value is certainly within `limit` without serializing
 * it, by an upper bound counted alongside (a UTF-16 unit is at most 6 bytes of JSON, `\uXXXX`; any other
 * value at most 25), for plain data only: a cycle or shared object, a `toJSON` or a bigint is left to
 * `JSON.stringify`, which follows when not proven. An SQS batch of 10 alarm events (20 KB) is proven
 * under the 6 MB limit this way instead of serialized on every invocation.
 */
export function jsonLengthOver(value: unknown, limit: number): { over: number | null; proven: boolean } {
  let length = 0;
  let upper = 0;
  let plain = true;
  const stack: unknown[] = [value];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      length += item.length + 2;
      upper += 6 * item.length + 2;
    } else if (item !== null && typeof item === 'object') {
      if (seen.has(item)) {
        plain = false;
        continue;
      }
      seen.add(item);
      if (typeof (item as { toJSON?: unknown }).toJSON === 'function') plain = false;
      length += 2;
      upper += 2;
      if (Array.isArray(item)) {
        for (let i = 0; i < item.length && length <= limit; i++) {
          if (i > 0) {
            length += 1; // the comma
            upper += 1;
          }
          stack.push(item[i]);
        }
      } else {
        let first = true;
        for (const key in item) {
          if (length > limit) break;
          if (!Object.hasOwn(item, key)) continue;
          const member = (item as Record<string, unknown>)[key];
          // JSON.stringify leaves these members out.
          if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
          length += key.length + (first ? 3 : 4); // "key": and the comma
          upper += 6 * key.length + 4;
          first = false;
          stack.push(member);
        }
      }
    } else {
      if (typeof item === 'bigint') plain = false;
      length += 1;
      upper += 25;
    }
    if (length > limit) return { over: length, proven: false };
  }
  return { over: null, proven: plain && upper <= limit };
}
