import { CronExpressionParser } from 'cron-parser';
import type { PlanCursor } from '../schema/memory.ts';
import type { Plan } from '../schema/plan.ts';
import { BUILT_IN_CALENDARS } from '../calendars/index.ts';

/** Bound on cron iterations while looking for the next window (a year of daily windows, with holidays). */
const MAX_ITERATIONS = 800;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let cached = formatters.get(timeZone);
  if (!cached) {
    cached = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, cached);
  }
  return cached;
}

/** Local date and time of an instant in a zone: ['2026-03-09', '09:30']. */
export function localDateTime(at: number, timeZone: string): [date: string, time: string] {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(at)) parts[part.type] = part.value;
  return [`${parts.year}-${parts.month}-${parts.day}`, `${parts.hour}:${parts.minute}`];
}

/** Every excluded date of a plan: its own dates and those of the calendars it names. */
export function excludedDates(plan: Plan, calendars: Readonly<Record<string, readonly string[]>>): Set<string> {
  const dates = new Set(plan.excludeDates);
  for (const name of plan.excludeCalendars) {
    for (const date of calendars[name] ?? BUILT_IN_CALENDARS[name] ?? []) dates.add(date);
  }
  return dates;
}

/**
 * Identifies a plan and its exclusions; a cursor computed for another fingerprint is recomputed. Hashed
 * (FNV-1a, 32 bits) so the memory kept in Redis carries 8 characters, not the whole holiday list.
 */
export function planFingerprint(plan: Plan, excluded: Set<string>): string {
  const text = `${plan.start}|${plan.end ?? ''}|${plan.durationMinutes ?? ''}|${plan.timezone}|${plan.preWarmSeconds}|${[...excluded].sort().join(',')}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

function occurrences(expression: string, timeZone: string, fromExclusive: number) {
  return CronExpressionParser.parse(expression, { currentDate: fromExclusive, tz: timeZone });
}

function windowEnd(plan: Plan, start: number): number {
  if (plan.durationMinutes !== undefined) return start + plan.durationMinutes * 60_000;
  return occurrences(plan.end as string, plan.timezone, start)
    .next()
    .getTime();
}

function label(plan: Plan, start: number, end: number): string {
  const [startDate, startTime] = localDateTime(start, plan.timezone);
  const [endDate, endTime] = localDateTime(end, plan.timezone);
  const to = endDate === startDate ? endTime : `${endDate} ${endTime}`;
  return `${startDate} ${startTime}–${to} ${plan.timezone}`;
}

/**
 * Where `now` stands for one plan: inside a window (or its pre-warm lead), or between windows, and until
 * when that holds. cron-parser's `next()` is DST-correct, its `prev()` is not, so the last window is found
 * by walking `next()` forward from one maximal window length (plus the pre-warm lead) before now.
 * A window whose start falls on an excluded date in the plan's zone does not open.
 */
export function computePlanCursor(plan: Plan, excluded: Set<string>, fingerprint: string, now: number): PlanCursor {
  const lead = plan.preWarmSeconds * 1000;
  const maxLength = (plan.durationMinutes ?? 7 * 24 * 60) * 60_000;
  const horizon = now + lead;
  const starts = occurrences(plan.start, plan.timezone, now + lead - maxLength - 1);
  let last: number | undefined;
  let nextStart: number | undefined;
  for (let i = 0; i < MAX_ITERATIONS; i += 1) {
    const at = starts.next().getTime();
    if (at > horizon) {
      if (!excluded.has(localDateTime(at, plan.timezone)[0])) {
        nextStart = at;
        break;
      }
      continue;
    }
    if (!excluded.has(localDateTime(at, plan.timezone)[0])) last = at;
  }
  if (last !== undefined) {
    const end = windowEnd(plan, last);
    if (now < end) {
      return {
        fingerprint,
        validFrom: last - lead,
        validUntil: end,
        active: true,
        windowStart: last,
        windowEnd: end,
        label: label(plan, last, end),
      };
    }
  }
  const lastEnd = last !== undefined ? windowEnd(plan, last) : now;
  const validUntil = nextStart !== undefined ? nextStart - lead : now + 24 * 3600_000;
  const nextLabel =
    nextStart !== undefined
      ? `next window ${label(plan, nextStart, windowEnd(plan, nextStart))}`
      : 'no window found within the search bound';
  return {
    fingerprint,
    validFrom: Math.min(lastEnd, now),
    validUntil,
    active: false,
    windowStart: null,
    windowEnd: null,
    label: nextLabel,
  };
}

export interface ActivePlan {
  name: string;
  floor: number;
  ceiling: number | undefined;
  /** `pre-warm` before the window opens, `open` inside it. */
  phase: 'pre-warm' | 'open';
  label: string;
}

export interface PlanEvaluation {
  cursors: Record<string, PlanCursor>;
  active: ActivePlan[];
}

// A warm function evaluates the same parsed policy many times: remember each plan's exclusions and
// fingerprint per (calendars, plan) object so the common path is a string comparison. Same input, same
// output: the cache only saves work.
const identities = new WeakMap<object, WeakMap<Plan, { excluded: Set<string>; fingerprint: string }>>();
function planIdentity(plan: Plan, calendars: Readonly<Record<string, readonly string[]>>) {
  let byPlan = identities.get(calendars);
  if (!byPlan) {
    byPlan = new WeakMap();
    identities.set(calendars, byPlan);
  }
  let identity = byPlan.get(plan);
  if (!identity) {
    const excluded = excludedDates(plan, calendars);
    identity = { excluded, fingerprint: planFingerprint(plan, excluded) };
    byPlan.set(plan, identity);
  }
  return identity;
}

// Windows computed in this process, by fingerprint: a warm function serving many targets with the same plan
// (every endpoint on the NYSE session), or a memory that lags a window boundary, walks cron once, not once
// per target. A window depends only on the plan and the time, so the cache changes no result. Bounded.
const MAX_CACHED_PLANS = 256;
const MAX_CURSORS_PER_PLAN = 8;
const recentCursors = new Map<string, PlanCursor[]>();

function cachedCursor(fingerprint: string, now: number): PlanCursor | undefined {
  const list = recentCursors.get(fingerprint);
  if (!list) return undefined;
  for (const cursor of list) if (now >= cursor.validFrom && now < cursor.validUntil) return cursor;
  return undefined;
}

function rememberCursor(cursor: PlanCursor): PlanCursor {
  let list = recentCursors.get(cursor.fingerprint);
  if (!list) {
    if (recentCursors.size >= MAX_CACHED_PLANS) recentCursors.delete(recentCursors.keys().next().value as string);
    list = [];
    recentCursors.set(cursor.fingerprint, list);
  }
  list.push(cursor);
  if (list.length > MAX_CURSORS_PER_PLAN) list.shift();
  return cursor;
}

/** Evaluate every plan at `now`, reusing cached windows from memory while they still hold. */
export function evaluatePlans(
  plans: readonly Plan[],
  calendars: Readonly<Record<string, readonly string[]>>,
  previous: Readonly<Record<string, PlanCursor>>,
  now: number,
): PlanEvaluation {
  let cursors: Record<string, PlanCursor> | undefined;
  let reused = 0;
  const active: ActivePlan[] = [];
  for (const plan of plans) {
    const { excluded, fingerprint } = planIdentity(plan, calendars);
    const cached = previous[plan.name];
    let cursor: PlanCursor;
    if (cached && cached.fingerprint === fingerprint && now >= cached.validFrom && now < cached.validUntil) {
      cursor = cached;
      reused += 1;
    } else {
      cursor = cachedCursor(fingerprint, now) ?? rememberCursor(computePlanCursor(plan, excluded, fingerprint, now));
    }
    (cursors ??= {})[plan.name] = cursor;
    if (cursor.active && cursor.windowStart !== null) {
      active.push({
        name: plan.name,
        floor: plan.minCapacity,
        ceiling: plan.maxCapacity,
        phase: now < cursor.windowStart ? 'pre-warm' : 'open',
        label: cursor.label,
      });
    }
  }
  // Every window still holds and no plan was removed: hand back the same object (no new memory to write).
  if (reused === plans.length && Object.keys(previous).length === plans.length)
    return { cursors: previous as Record<string, PlanCursor>, active };
  cursors ??= {};
  return { cursors, active };
}
