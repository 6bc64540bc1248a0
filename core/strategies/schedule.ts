import type { PlanCursor } from '../schema/memory.ts';
import type { Plan } from '../schema/plan.ts';
import { exchangeDay, exchangeOfCalendar } from '../calendars/index.ts';
import type { ExchangeOverride } from '../calendars/types.ts';
import { computeSessionCursor } from './session-plan.ts';
import { dict, own } from '../dictionary.ts';
import { cronOccurrences, cronSchedule } from '../cron.ts';
import { isoDate, parseDate } from '../calendars/dates.ts';
import { zonedInstant } from '../calendars/zone.ts';

/**
 * Bound on the cron searches for one plan's cursor, each way: a search finds the occurrence around now
 * directly, and only an excluded date costs another (the search then resumes past that whole date), so
 * this is the number of excluded dates in a row a window can be found across (over two years of them).
 */
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

/**
 * What keeps a cron plan's window shut on a date: its own dates, the policy's named lists, and the full-day
 * closures of the exchanges it names (by rule, so they never run out; an "unknown" date does not exclude).
 */
export interface Exclusions {
  dates: Set<string>;
  exchanges: string[];
}

/** A plan's exclusions: its own dates, the policy's lists it names, and the exchanges it names. */
export function planExclusions(plan: Plan, calendars: Readonly<Record<string, readonly string[]>>): Exclusions {
  const dates = new Set(plan.excludeDates);
  const exchanges: string[] = [];
  for (const name of plan.excludeCalendars) {
    const listed = own(calendars, name);
    if (listed) for (const date of listed) dates.add(date);
    else {
      const exchange = exchangeOfCalendar(name);
      if (exchange) exchanges.push(exchange.mic);
    }
  }
  return { dates, exchanges };
}

function isExcluded(exclusions: Exclusions, date: string, overrides: readonly ExchangeOverride[]): boolean {
  if (exclusions.dates.has(date)) return true;
  for (const mic of exclusions.exchanges) if (exchangeDay(mic, date, overrides)?.status === 'closed') return true;
  return false;
}

/** The exchanges a plan depends on (the one it follows and those it excludes). */
function exchangesOf(plan: Plan, exclusions: Exclusions): string[] {
  return plan.session ? [plan.session.exchange, ...exclusions.exchanges] : exclusions.exchanges;
}

/**
 * Identifies a plan, its exclusions and the recorded closures that touch it; a cursor computed for another
 * fingerprint is recomputed. Hashed (FNV-1a, 32 bits) so the memory kept in Redis carries 8 characters.
 */
export function planFingerprint(plan: Plan, exclusions: Exclusions, overrides = ''): string {
  const text = `${plan.start ?? JSON.stringify(plan.session)}|${plan.unknownDates}|${plan.end ?? ''}|${plan.durationMinutes ?? ''}|${plan.timezone}|${plan.preWarmSeconds}|${[...exclusions.dates].sort().join(',')}|${exclusions.exchanges.join(',')}|${overrides}`;
  return fnv1a(text);
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Longest window without a duration: an `end` line that never comes closes it a week after it opened. */
const MAX_WINDOW_MS = 7 * 24 * 3600_000;

function windowEnd(plan: Plan, start: number): number {
  if (plan.durationMinutes !== undefined) return start + plan.durationMinutes * 60_000;
  return cronOccurrences(plan.end as string, plan.timezone, start).next() ?? start + MAX_WINDOW_MS;
}

function label(plan: Plan, start: number, end: number): string {
  const [startDate, startTime] = localDateTime(start, plan.timezone);
  const [endDate, endTime] = localDateTime(end, plan.timezone);
  const to = endDate === startDate ? endTime : `${endDate} ${endTime}`;
  return `${startDate} ${startTime}–${to} ${plan.timezone}`;
}

/**
 * An instant on `date` or before it, no later than the first instant of `date` in the zone (local midnight,
 * or the end of a DST gap at midnight): a search resumes from here past a whole excluded date. Undefined
 * past the dates an instant can name.
 */
function startOfLocalDate(date: string, timeZone: string): number | undefined {
  let at = zonedInstant(parseDate(date), 0, timeZone);
  if (!Number.isFinite(at) || Math.abs(at) > 8.6e15) return undefined;
  for (let i = 0; i < 4 && localDateTime(at - 1, timeZone)[0] >= date; i += 1) at -= 3_600_000;
  return at;
}

/**
 * Where `now` stands for one plan: inside a window (or its pre-warm lead), or between windows, and until
 * when that holds. The window that may hold now is the one that opened last, at or before now plus the
 * pre-warm lead, on a date that is not excluded, and no more than one maximal window length before (windows
 * close in the order they open, so an earlier one has closed if that one has); the next window is the first
 * start after. Each is found by searching the cron line from now (core/cron.ts), backward and forward, so
 * the work does not grow with how often the line fires: an excluded date costs one more search, which
 * resumes past that whole date (at most MAX_ITERATIONS each way).
 */
export function computePlanCursor(
  plan: Plan,
  exclusions: Exclusions,
  fingerprint: string,
  now: number,
  overrides: readonly ExchangeOverride[] = [],
): PlanCursor {
  if (plan.session) return computeSessionCursor(plan, overrides, fingerprint, now);
  const lead = plan.preWarmSeconds * 1000;
  const maxLength = plan.durationMinutes !== undefined ? plan.durationMinutes * 60_000 : MAX_WINDOW_MS;
  const horizon = now + lead;
  const starts = cronSchedule(plan.start as string, plan.timezone);
  let last: number | undefined;
  let from = horizon;
  for (let i = 0; i < MAX_ITERATIONS; i += 1) {
    const at = starts.atOrBefore(from);
    if (at === undefined || at < horizon - maxLength) break;
    const date = localDateTime(at, plan.timezone)[0];
    if (!isExcluded(exclusions, date, overrides)) {
      last = at;
      break;
    }
    const dayStart = startOfLocalDate(date, plan.timezone);
    if (dayStart === undefined) break;
    from = Math.min(at, dayStart) - 1;
  }
  let nextStart: number | undefined;
  from = horizon;
  for (let i = 0; i < MAX_ITERATIONS; i += 1) {
    const at = starts.after(from);
    if (at === undefined) break;
    const date = localDateTime(at, plan.timezone)[0];
    if (!isExcluded(exclusions, date, overrides)) {
      nextStart = at;
      break;
    }
    const nextDayStart = startOfLocalDate(isoDate(parseDate(date) + 1), plan.timezone);
    if (nextDayStart === undefined) break;
    from = Math.max(at, nextDayStart - 1);
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
  /** Why a followed exchange is closed or unknown now, per plan: for the decision's reasons. */
  notes: string[];
}

interface PlanIdentity {
  exclusions: Exclusions;
  exchanges: string[];
  fingerprint: string;
}

// A warm function evaluates the same parsed policy many times: remember each plan's exclusions and
// fingerprint per (calendars, plan) object so the common path is a string comparison. Same input, same
// output: the cache only saves work.
const identities = new WeakMap<object, WeakMap<Plan, PlanIdentity>>();
function planIdentity(plan: Plan, calendars: Readonly<Record<string, readonly string[]>>): PlanIdentity {
  let byPlan = identities.get(calendars);
  if (!byPlan) {
    byPlan = new WeakMap();
    identities.set(calendars, byPlan);
  }
  let identity = byPlan.get(plan);
  if (!identity) {
    const exclusions = planExclusions(plan, calendars);
    identity = { exclusions, exchanges: exchangesOf(plan, exclusions), fingerprint: planFingerprint(plan, exclusions) };
    byPlan.set(plan, identity);
  }
  return identity;
}

/** The fingerprint with the recorded closures of the plan's exchanges folded in (most plans: none). */
function fingerprintWith(identity: PlanIdentity, overrides: readonly ExchangeOverride[]): string {
  if (overrides.length === 0 || identity.exchanges.length === 0) return identity.fingerprint;
  let text = '';
  for (const o of overrides) {
    if (identity.exchanges.includes(o.exchange))
      text += `${o.exchange}|${o.date}|${o.status}|${o.open ?? ''}|${o.close ?? ''}|${o.reason};`;
  }
  return text === '' ? identity.fingerprint : fnv1a(`${identity.fingerprint}|${text}`);
}

// Windows computed in this process, by fingerprint: a warm function serving many targets with the same plan
// (every endpoint on the NYSE session), or a memory that lags a window boundary, walks the calendar once,
// not once per target. A window depends only on the plan, the closures and the time, so the cache changes
// no result. Bounded.
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

const NO_OVERRIDES: readonly ExchangeOverride[] = [];

/**
 * Evaluate every plan at `now`, reusing cached windows from memory while they still hold. `overrides` are
 * the closures and changed hours operators recorded (the shell loads them with the target's state).
 */
export function evaluatePlans(
  plans: readonly Plan[],
  calendars: Readonly<Record<string, readonly string[]>>,
  previous: Readonly<Record<string, PlanCursor>>,
  now: number,
  overrides: readonly ExchangeOverride[] = NO_OVERRIDES,
): PlanEvaluation {
  // The cursors in the plans' order; a map of them is built only when one changed (most decisions reuse all).
  const chosen: PlanCursor[] = [];
  let reused = 0;
  const active: ActivePlan[] = [];
  let notes: string[] | undefined;
  for (const plan of plans) {
    const identity = planIdentity(plan, calendars);
    const fingerprint = fingerprintWith(identity, overrides);
    const cached = own(previous, plan.name);
    let cursor: PlanCursor;
    if (cached && cached.fingerprint === fingerprint && now >= cached.validFrom && now < cached.validUntil) {
      cursor = cached;
      reused += 1;
    } else {
      cursor =
        cachedCursor(fingerprint, now) ??
        rememberCursor(computePlanCursor(plan, identity.exclusions, fingerprint, now, overrides));
    }
    chosen.push(cursor);
    if (cursor.note) {
      if (!notes) notes = [];
      notes.push(`plan ${plan.name}: ${cursor.note}`);
    }
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
    return { cursors: previous as Record<string, PlanCursor>, active, notes: notes ?? [] };
  const cursors = dict<PlanCursor>();
  for (let i = 0; i < plans.length; i += 1) cursors[plans[i]!.name] = chosen[i]!;
  return { cursors, active, notes: notes ?? [] };
}
