import { NEVER, number, record, string, union, type ZodType } from 'zod';
import { dict } from '../dictionary.ts';

/**
 * The last instant a timestamp may name: 9999-12-31T23:59:59.999Z. Far inside JavaScript's Date range
 * (±8.64e15 ms, year 275760), so `now` plus any window, lead or deadline the core adds (at most weeks) is
 * still a valid Date, and every timestamp has a four-digit year in ISO-8601.
 */
export const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** True for epoch milliseconds a timestamp may hold: an integer from 1970 to the end of year 9999. */
export function isInstant(ms: number): boolean {
  return Number.isInteger(ms) && ms >= 0 && ms <= MAX_TIMESTAMP_MS;
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Epoch ms of an ISO-8601 instant with an offset, or undefined unless every field is in its range: Date.parse
 * alone reads `2026-02-30T10:00Z` as 2 March, and gives NaN (not an error) for `2026-02-30T25:61Z`.
 */
export function parseInstant(text: string): number | undefined {
  const found = ISO_INSTANT.exec(text);
  if (!found) return undefined;
  const [, year, month, day, hour, minute, second = '0', , , offsetHours = '0', offsetMinutes = '0'] = found;
  const y = Number(year);
  const m = Number(month);
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (m < 1 || m > 12 || Number(day) < 1 || Number(day) > daysInMonth) return undefined;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  if (Number(offsetHours) > 23 || Number(offsetMinutes) > 59) return undefined;
  const ms = Date.parse(text);
  return isInstant(ms) ? ms : undefined;
}

const INSTANT_RANGE = `from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (${MAX_TIMESTAMP_MS} ms)`;

/**
 * A point in time as epoch milliseconds. Documents may give an ISO-8601 string with an offset
 * ("2026-03-09T13:30:00Z") or a number of epoch milliseconds; the core only ever sees the number, and only
 * a real instant in [1970, 9999]: a date that does not exist or a number outside the range is an error.
 */
export const TimestampSchema: ZodType<number, number | string> = union([number(), string()])
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? (isInstant(value) ? value : undefined) : parseInstant(value);
    if (ms !== undefined) return ms;
    const shown =
      typeof value === 'string' && value.length > 64
        ? `${JSON.stringify(value.slice(0, 61))}...`
        : JSON.stringify(value);
    ctx.issues.push({
      code: 'custom',
      message:
        typeof value === 'number'
          ? `expected integer epoch milliseconds ${INSTANT_RANGE}, was: ${shown}`
          : `expected an ISO-8601 timestamp with a time zone offset naming a real instant ${INSTANT_RANGE}, e.g. 2026-03-09T13:30:00Z, was: ${shown}`,
      input: value,
    });
    return NEVER;
  })
  .meta({ description: `epoch milliseconds, or an ISO-8601 timestamp with an offset; ${INSTANT_RANGE}` }) as ZodType<
  number,
  number | string
>;

/** A calendar date, YYYY-MM-DD, read in the time zone of whatever uses it. */
export const CalendarDateSchema = string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, {
  message: 'expected a calendar date YYYY-MM-DD',
});

/** Identifiers for targets, pools and plans: safe inside Redis keys and URLs. */
export const IdSchema = string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, {
  message: 'expected 1-128 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
});

/**
 * A map keyed by user or provider strings, parsed to a null-prototype object (see core/dictionary.ts): the key
 * `constructor` is then only ever a key. A `__proto__` key cannot survive JSON parsing into an object and is
 * dropped. Add `.prefault({})` for an empty default (the default is parsed too, so it is null-prototype).
 */
export function dictionary<K extends ZodType<string, string>, V extends ZodType>(key: K, value: V) {
  return record(key, value).overwrite((map) => dict(map) as typeof map);
}
