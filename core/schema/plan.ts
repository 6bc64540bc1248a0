import { CronExpressionParser } from 'cron-parser';
import { array, number, strictObject, string, type infer as Infer } from 'zod';
import { CalendarDateSchema, IdSchema } from './common.ts';

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function cronProblem(expression: string): string | undefined {
  // cron-parser's `H` picks a random value: a decision core must be deterministic, so it is refused.
  if (/\bH\b/.test(expression)) return 'the randomized "H" field is not allowed';
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return `expected 5 fields (or 6 with seconds), got ${fields.length}`;
  try {
    CronExpressionParser.parse(expression, { currentDate: 0, tz: 'UTC' });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** A cron expression (5 fields, or 6 with seconds first), read in the plan's time zone. */
export const CronSchema = string().superRefine((expression, ctx) => {
  const problem = cronProblem(expression);
  if (problem)
    ctx.addIssue({
      code: 'custom',
      message: `invalid cron expression (${problem}), was: "${expression}"`,
      input: expression,
    });
});

/**
 * A scheduled plan: while a window is open (and for `preWarmSeconds` before it opens) capacity is at least
 * `minCapacity` and, if given, at most `maxCapacity`. Windows start at each `start` occurrence in `timezone`
 * and last `durationMinutes`, or until the next `end` occurrence. A window whose start falls on an excluded
 * date (in the plan's time zone) does not open. When the window closes the floor is released and the usual
 * rules take the target back down.
 */
export const PlanSchema = strictObject({
  name: IdSchema.describe('Unique name of the plan within the policy.'),
  start: CronSchema.describe('When a window opens, cron in `timezone`, e.g. `30 9 * * 1-5`.'),
  end: CronSchema.optional().describe(
    'When a window closes, cron in `timezone`, e.g. `0 16 * * 1-5`. Give this or `durationMinutes`.',
  ),
  durationMinutes: number()
    .int()
    .min(1)
    .max(10080)
    .optional()
    .describe('Window length in minutes (at most 7 days). Give this or `end`.'),
  timezone: string()
    .refine(isTimeZone, { message: 'expected an IANA time zone such as America/New_York' })
    .default('UTC')
    .describe('IANA time zone, e.g. `America/New_York`; DST is handled by the zone rules.'),
  minCapacity: number().int().min(0).describe('Floor while the window is open, replicas or nodes.'),
  maxCapacity: number()
    .int()
    .min(0)
    .optional()
    .describe('Optional ceiling while the window is open, replicas or nodes.'),
  preWarmSeconds: number()
    .int()
    .min(0)
    .max(86400)
    .default(0)
    .describe('Start capacity this many seconds before the window opens (GPU instances take minutes to boot).'),
  excludeDates: array(CalendarDateSchema)
    .default([])
    .describe('Dates (in `timezone`) on which the window does not open.'),
  excludeCalendars: array(IdSchema)
    .default([])
    .describe("Named calendars of excluded dates: the policy's own `calendars` or a built-in one such as `nyse`."),
}).superRefine((plan, ctx) => {
  if ((plan.end === undefined) === (plan.durationMinutes === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['end'],
      message: `give exactly one of "end" or "durationMinutes", was: end=${JSON.stringify(plan.end)}, durationMinutes=${JSON.stringify(plan.durationMinutes)}`,
      input: plan.end,
    });
  }
  if (plan.maxCapacity !== undefined && plan.maxCapacity < plan.minCapacity) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxCapacity'],
      message: `must be at least the plan's minCapacity (${plan.minCapacity}), was: ${plan.maxCapacity}`,
      input: plan.maxCapacity,
    });
  }
});
export type Plan = Infer<typeof PlanSchema>;
