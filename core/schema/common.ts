import { number, string, union, type ZodType } from 'zod';

/**
 * A point in time as epoch milliseconds. Documents may give an ISO-8601 string with an offset
 * ("2026-03-09T13:30:00Z") or a number of epoch milliseconds; the core only ever sees the number.
 */
export const TimestampSchema: ZodType<number, number | string> = union([
  number().int().nonnegative(),
  string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/, {
      message: 'expected an ISO-8601 timestamp with a time zone offset, e.g. 2026-03-09T13:30:00Z',
    })
    .transform((text) => Date.parse(text)),
]).meta({ description: 'epoch milliseconds, or an ISO-8601 timestamp with an offset' }) as ZodType<
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
