import { array, boolean, enum as enumeration, number, strictObject, string, type infer as Infer } from 'zod';
import { CalendarDateSchema, IdSchema } from './common.ts';
import { EXCHANGE_CODES, regularSessionMinutes } from '../calendars/index.ts';
import { LIMITS } from './limits.ts';
import { cronProblem } from '../cron.ts';

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
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
 * A plan that follows an exchange's session instead of a cron line: the window opens `openOffsetMinutes`
 * from the open (negative: before it) and closes `closeOffsetMinutes` from the close, or lasts
 * `durationMinutes`. Holidays, early closes, lunch breaks and recorded closures then apply by themselves.
 * "From 15 minutes before the XNYS open to the close": `{ exchange: 'XNYS', openOffsetMinutes: -15 }`;
 * "the first 30 minutes after the open": `{ exchange: 'XNYS', durationMinutes: 30 }`.
 */
export const SessionFollowSchema = strictObject({
  exchange: string()
    .refine((code) => EXCHANGE_CODES.includes(code), {
      error: (issue) =>
        `unknown exchange; use an ISO 10383 MIC, one of ${EXCHANGE_CODES.join(', ')}, was: ${JSON.stringify(issue.input)}`,
    })
    .describe(
      'ISO 10383 market identifier code of the exchange, e.g. `XNYS`, `XLON`, `XTKS`; `XCME` is CME Globex equity index futures.',
    ),
  openOffsetMinutes: number()
    .int()
    .min(-720)
    .max(1440)
    .default(0)
    .describe('Window start relative to the open, minutes; negative is before the open (e.g. -15).'),
  closeOffsetMinutes: number()
    .int()
    .min(-1440)
    .max(720)
    .default(0)
    .describe('Window end relative to the close, minutes; negative is before the close. Not with `durationMinutes`.'),
  durationMinutes: number()
    .int()
    .min(1)
    .max(1440)
    .optional()
    .describe('Window length from its start, minutes, cut at the close (e.g. 30 for "the first 30 minutes").'),
  startMinutesBeforeClose: number()
    .int()
    .min(1)
    .max(1440)
    .optional()
    .describe(
      'Start the window this many minutes before the close instead of at the open (e.g. 15 for "the last 15 minutes"); an early close moves it.',
    ),
  holdThroughBreaks: boolean()
    .default(false)
    .describe('Keep the floor through lunch breaks (Tokyo, Hong Kong); by default the floor is released over them.'),
});
export type SessionFollow = Infer<typeof SessionFollowSchema>;

/**
 * A scheduled plan: while a window is open (and for `preWarmSeconds` before it opens) capacity is at least
 * `minCapacity` and, if given, at most `maxCapacity`. Windows start at each `start` occurrence in `timezone`
 * and last `durationMinutes`, or until the next `end` occurrence. A window whose start falls on an excluded
 * date (in the plan's time zone) does not open. When the window closes the floor is released and the usual
 * rules take the target back down.
 */
export const PlanSchema = strictObject({
  name: IdSchema.describe('Unique name of the plan within the policy.'),
  start: CronSchema.optional().describe(
    'When a window opens, cron in `timezone`, e.g. `30 9 * * 1-5`. Give this or `session`.',
  ),
  session: SessionFollowSchema.optional().describe(
    "Follow an exchange's session (holidays, early closes, lunch breaks, recorded closures) instead of cron.",
  ),
  unknownDates: enumeration(['hold-floor', 'release'])
    .default('hold-floor')
    .describe(
      'On a date the exchange calendar cannot know: `hold-floor` keeps the floor over the regular hours (a missed open costs more than an idle hour), `release` treats it as closed.',
    ),
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
    .max(LIMITS.datesPerCalendar)
    .default([])
    .describe('Dates (in `timezone`) on which the window does not open.'),
  excludeCalendars: array(IdSchema)
    .max(LIMITS.calendarsPerPlan)
    .default([])
    .describe(
      "Named calendars of excluded dates: the policy's own `calendars` or a built-in one such as an exchange MIC (`XNYS`, `XLON`, …; `nyse` means `XNYS`).",
    ),
}).superRefine((plan, ctx) => {
  if ((plan.start === undefined) === (plan.session === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['start'],
      message: `give exactly one of "start" (cron) or "session", was: start=${JSON.stringify(plan.start)}, session=${JSON.stringify(plan.session)}`,
      input: plan.start,
    });
    return;
  }
  if (plan.session) {
    sessionProblems(plan.session, ctx);
    for (const field of ['end', 'durationMinutes'] as const) {
      if (plan[field] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `a plan following a session takes its length from "session", was: ${field}=${JSON.stringify(plan[field])}`,
          input: plan[field],
        });
    }
  } else if ((plan.end === undefined) === (plan.durationMinutes === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['end'],
      message: `give exactly one of "end" or "durationMinutes", was: end=${JSON.stringify(plan.end)}, durationMinutes=${JSON.stringify(plan.durationMinutes)}`,
      input: plan.end,
    });
  }
  // KEDA's cron scaler refuses the same: a window that closes at the moment it opens. Here it would be a
  // floor that never closes (the next end is a full period after each start).
  if (
    plan.start !== undefined &&
    plan.end !== undefined &&
    plan.start.trim().split(/\s+/).join(' ') === plan.end.trim().split(/\s+/).join(' ')
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['end'],
      message: `must differ from "start": a window that closes when it opens never closes (KEDA refuses it too), was: "${plan.end}"`,
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

/** Offsets that would put the window outside the exchange's regular session. */
function sessionProblems(session: SessionFollow, ctx: { addIssue: (issue: never) => void }): void {
  if (!EXCHANGE_CODES.includes(session.exchange)) return;
  const length = regularSessionMinutes(session.exchange);
  const problem = (field: string, message: string, input: unknown) =>
    ctx.addIssue({ code: 'custom', path: ['session', field], message, input } as never);
  if (session.openOffsetMinutes >= length)
    problem(
      'openOffsetMinutes',
      `must be less than the ${session.exchange} regular session length (${length} minutes), was: ${session.openOffsetMinutes}`,
      session.openOffsetMinutes,
    );
  if (-session.closeOffsetMinutes >= length)
    problem(
      'closeOffsetMinutes',
      `must be less than the ${session.exchange} regular session length (${length} minutes) before the close, was: ${session.closeOffsetMinutes}`,
      session.closeOffsetMinutes,
    );
  else if (
    session.openOffsetMinutes < length &&
    session.durationMinutes === undefined &&
    session.openOffsetMinutes >= length + session.closeOffsetMinutes
  )
    problem(
      'closeOffsetMinutes',
      `the window would end before it starts (${session.exchange} session ${length} minutes, openOffsetMinutes ${session.openOffsetMinutes}), was: ${session.closeOffsetMinutes}`,
      session.closeOffsetMinutes,
    );
  if (session.startMinutesBeforeClose !== undefined) {
    if (session.startMinutesBeforeClose > length)
      problem(
        'startMinutesBeforeClose',
        `must be at most the ${session.exchange} regular session length (${length} minutes), was: ${session.startMinutesBeforeClose}`,
        session.startMinutesBeforeClose,
      );
    if (session.openOffsetMinutes !== 0 || session.durationMinutes !== undefined)
      problem(
        'startMinutesBeforeClose',
        `give "startMinutesBeforeClose" or an open-relative start ("openOffsetMinutes", "durationMinutes"), not both, was: ${session.startMinutesBeforeClose}`,
        session.startMinutesBeforeClose,
      );
    if (-session.closeOffsetMinutes >= session.startMinutesBeforeClose)
      problem(
        'closeOffsetMinutes',
        `the window would end before it starts (it starts ${session.startMinutesBeforeClose} minutes before the close), was: ${session.closeOffsetMinutes}`,
        session.closeOffsetMinutes,
      );
  }
  if (session.durationMinutes !== undefined && session.closeOffsetMinutes !== 0)
    problem(
      'durationMinutes',
      `give "durationMinutes" or "closeOffsetMinutes", not both, was: durationMinutes=${session.durationMinutes}`,
      session.durationMinutes,
    );
}
