import { isoDate, minutesOf, parseDate, weekday } from './dates.ts';
import { XETR, XLON } from './europe.ts';
import { XHKG } from './hong-kong.ts';
import { XTKS } from './japan.ts';
import type { DayRule, ExchangeDay, ExchangeOverride, ExchangeRules } from './types.ts';
import { XCME_EQUITY, XNAS, XNYS } from './united-states.ts';
import { zonedInstant } from './zone.ts';
import { own } from '../dictionary.ts';

export type { ExchangeDay, ExchangeOverride, ExchangeRules } from './types.ts';

/** The exchange calendars, by ISO 10383 MIC. XCME is CME Globex's equity index futures session. */
export const EXCHANGES: Readonly<Record<string, ExchangeRules>> = {
  XNYS,
  XNAS,
  XLON,
  XETR,
  XTKS,
  XHKG,
  XCME: XCME_EQUITY,
};

export const EXCHANGE_CODES: readonly string[] = Object.keys(EXCHANGES);

/**
 * Names `excludeCalendars` accepts besides a policy's own lists: every MIC above, and `nyse` (the name the
 * old built-in list had), which now means XNYS by rule.
 */
export const BUILT_IN_CALENDAR_NAMES: readonly string[] = [...EXCHANGE_CODES, 'nyse'];

/** The exchange a built-in calendar name stands for. */
export function exchangeOfCalendar(name: string): ExchangeRules | undefined {
  return own(EXCHANGES, name === 'nyse' ? 'XNYS' : name);
}

// Resolving a date costs a few Intl calls; a warm process asks for the same few dates again and again.
// Bounded, and the rules are pure, so the cache changes no result.
const MAX_CACHED_DAYS = 4096;
const resolved = new Map<string, ExchangeDay>();

function ruleOf(rules: ExchangeRules, days: number, date: string): DayRule | undefined {
  const year = Number(date.slice(0, 4));
  if (year < rules.firstYear)
    return { kind: 'unknown', reason: `${date} is before ${rules.firstYear}: ${rules.before}` };
  if (year > rules.lastYear) return { kind: 'unknown', reason: `${date} is after ${rules.lastYear}: ${rules.after}` };
  return rules.rule(days);
}

function instant(rules: ExchangeRules, days: number, time: string): number {
  return zonedInstant(days, minutesOf(time), rules.timeZone);
}

function regularSession(rules: ExchangeRules, days: number, close?: string, open?: string) {
  const hours = rules.hours(days);
  const openAt = instant(rules, rules.opensDayBefore ? days - 1 : days, open ?? hours.open);
  const closeAt = instant(rules, days, close ?? hours.close);
  const breaks: [number, number][] = [];
  if (hours.lunch) {
    const start = instant(rules, days, hours.lunch[0]);
    const end = instant(rules, days, hours.lunch[1]);
    // An early close at or before the lunch break drops the afternoon (Hong Kong's half days).
    if (closeAt > end) breaks.push([start, end]);
    else if (closeAt > start) return { open: openAt, close: start, breaks };
  }
  return { open: openAt, close: closeAt, breaks };
}

function resolve(rules: ExchangeRules, date: string): ExchangeDay {
  const days = parseDate(date);
  const exchange = rules.mic;
  const wd = weekday(days);
  if (wd === 0 || wd === 6) return { status: 'closed', exchange, date, reason: 'weekend' };
  const rule = ruleOf(rules, days, date);
  if (!rule) return { status: 'open', exchange, date, ...regularSession(rules, days) };
  if (rule.kind === 'closed') return { status: 'closed', exchange, date, reason: rule.reason };
  if (rule.kind === 'unknown')
    return { status: 'unknown', exchange, date, reason: rule.reason, regular: regularSession(rules, days) };
  return {
    status: 'open',
    exchange,
    date,
    ...regularSession(rules, days, rule.close),
    note: `early close ${rule.close} (${rule.reason})`,
  };
}

/**
 * One exchange's session on a local date, by its rules, then by the operator's recorded closures and
 * changed hours (which win). Pure: a function of the arguments only.
 */
export function exchangeDay(
  mic: string,
  date: string,
  overrides: readonly ExchangeOverride[] = [],
): ExchangeDay | undefined {
  const rules = own(EXCHANGES, mic);
  if (!rules) return undefined;
  for (const override of overrides) {
    if (override.exchange !== mic || override.date !== date) continue;
    if (override.status === 'closed')
      return { status: 'closed', exchange: mic, date, reason: `closure recorded by an operator: ${override.reason}` };
    const session = regularSession(rules, parseDate(date), override.close, override.open);
    const changed = [override.open && `open ${override.open}`, override.close && `close ${override.close}`]
      .filter(Boolean)
      .join(', ');
    return { status: 'open', exchange: mic, date, ...session, note: `changed hours ${changed} (${override.reason})` };
  }
  const key = `${mic}|${date}`;
  let day = resolved.get(key);
  if (!day) {
    if (resolved.size >= MAX_CACHED_DAYS) resolved.clear();
    day = resolve(rules, date);
    resolved.set(key, day);
  }
  return day;
}

/** The local date at an exchange of an instant. */
export function localDateAt(mic: string, at: number): string {
  return localDate(at, (EXCHANGES[mic] as ExchangeRules).timeZone);
}

const dateFormatters = new Map<string, Intl.DateTimeFormat>();
function localDate(at: number, timeZone: string): string {
  let formatter = dateFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormatters.set(timeZone, formatter);
  }
  return formatter.format(at);
}

/** The date `n` days after a `YYYY-MM-DD` date. */
export function addDays(date: string, n: number): string {
  return isoDate(parseDate(date) + n);
}

/** Length of an exchange's regular session, minutes (CME: 23 hours). */
export function regularSessionMinutes(mic: string): number {
  const rules = EXCHANGES[mic] as ExchangeRules;
  const hours = rules.hours(parseDate('2026-01-05'));
  const length = minutesOf(hours.close) - minutesOf(hours.open);
  return rules.opensDayBefore ? length + 24 * 60 : length;
}

/** The IANA zone an exchange publishes its hours in. */
export function exchangeTimeZone(mic: string): string {
  return own(EXCHANGES, mic)?.timeZone ?? 'UTC';
}
