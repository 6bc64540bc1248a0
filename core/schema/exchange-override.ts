import { array, enum as enumeration, string, strictObject, type infer as Infer } from 'zod';
import { EXCHANGE_CODES } from '../calendars/index.ts';
import { CalendarDateSchema } from './common.ts';

/** Local `HH:MM`, 00:00-23:59. */
const LocalTimeSchema = string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'expected a local time HH:MM' });

/** Most recorded closures and changed hours a deployment keeps: a handful a year per exchange. */
export const MAX_EXCHANGE_OVERRIDES = 256;

/**
 * An unscheduled closure or changed hours of one exchange on one local date, recorded by an operator
 * (`tide calendars close|hours`, or the API) and obeyed by every plan that follows or excludes the exchange.
 */
export const ExchangeOverrideSchema = strictObject({
  exchange: string()
    .refine((code) => EXCHANGE_CODES.includes(code), {
      error: (issue) =>
        `unknown exchange; use an ISO 10383 MIC, one of ${EXCHANGE_CODES.join(', ')}, was: ${JSON.stringify(issue.input)}`,
    })
    .describe('ISO 10383 MIC of the exchange, e.g. `XNYS`.'),
  date: CalendarDateSchema.describe('Local date at the exchange, YYYY-MM-DD.'),
  status: enumeration(['closed', 'hours']).describe('`closed` for the whole day; `hours` for a changed open or close.'),
  open: LocalTimeSchema.optional().describe('Changed open, local HH:MM (status `hours`).'),
  close: LocalTimeSchema.optional().describe('Changed close, local HH:MM (status `hours`).'),
  reason: string()
    .min(1)
    .max(200)
    .describe('Why, as announced: "National Day of Mourning for President Jimmy Carter".'),
}).superRefine((override, ctx) => {
  if (override.status === 'hours' && override.open === undefined && override.close === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['close'],
      message: 'changed hours need "open" or "close" (or both), was: neither',
      input: override.close,
    });
  if (override.status === 'closed' && (override.open !== undefined || override.close !== undefined))
    ctx.addIssue({
      code: 'custom',
      path: ['status'],
      message: `a closure has no hours; use status "hours" to change them, was: open=${JSON.stringify(override.open)}, close=${JSON.stringify(override.close)}`,
      input: override.status,
    });
  if (override.open !== undefined && override.close !== undefined && override.open >= override.close)
    ctx.addIssue({
      code: 'custom',
      path: ['close'],
      message: `must be after the open (${override.open}), was: ${override.close}`,
      input: override.close,
    });
});
export type ExchangeOverrideDocument = Infer<typeof ExchangeOverrideSchema>;

export const ExchangeOverridesSchema = array(ExchangeOverrideSchema).max(MAX_EXCHANGE_OVERRIDES);
