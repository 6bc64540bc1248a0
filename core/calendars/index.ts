/**
 * The exchange calendars. What validating a document needs (the codes, time zones, regular session lengths) is
 * here; the rules that resolve a date (holidays, early closes, hours by year) are handed in, not imported
 * (issue 18), as croner is (core/cron.ts): ./rules.ts is loaded by adapters/calendars/load.ts when a program
 * first reads a policy that names an exchange, so a cloud function whose policies name none never loads its
 * 11 KB. Every program that decides on documents (the CLI, `tide serve`, the benches, the tests' setup) loads it
 * at start; the state stores load it for a policy that needs it. A date resolved before that is an
 * {@link ExchangeRulesNotLoadedError}, never a silent "open".
 */
import { isoDate, minutesOf, parseDate, weekday } from './dates.ts';
import type { DayRule, ExchangeDay, ExchangeOverride, ExchangeRules } from './types.ts';
import { zonedInstant } from './zone.ts';
import { own } from '../dictionary.ts';

export type { ExchangeDay, ExchangeOverride, ExchangeRules } from './types.ts';

/**
 * Each exchange's IANA zone and regular session, minutes (CME: 23 hours, opening the evening before), as its
 * rules give them (test/core/calendars checks this table against ./rules.ts).
 */
const EXCHANGE_FACTS: Readonly<Record<string, { timeZone: string; sessionMinutes: number }>> = {
  XNYS: { timeZone: 'America/New_York', sessionMinutes: 390 },
  XNAS: { timeZone: 'America/New_York', sessionMinutes: 390 },
  XLON: { timeZone: 'Europe/London', sessionMinutes: 510 },
  XETR: { timeZone: 'Europe/Berlin', sessionMinutes: 510 },
  XTKS: { timeZone: 'Asia/Tokyo', sessionMinutes: 390 },
  XHKG: { timeZone: 'Asia/Hong_Kong', sessionMinutes: 390 },
  XCME: { timeZone: 'America/Chicago', sessionMinutes: 1380 },
};

/** The exchanges' ISO 10383 MICs. XCME is CME Globex's equity index futures session. */
export const EXCHANGE_CODES: readonly string[] = Object.keys(EXCHANGE_FACTS);

let RULES: Readonly<Record<string, ExchangeRules>> | undefined;

/** The exchanges' rules, by MIC, for every function below (adapters/calendars/load.ts hands them in; once is enough). */
export function provideExchangeRules(rules: Readonly<Record<string, ExchangeRules>>): void {
  RULES = rules;
}

/** Whether the exchanges' rules have been handed in. */
export function exchangeRulesProvided(): boolean {
  return RULES !== undefined;
}

/** A date was resolved before the exchanges' rules were loaded: the program misses `loadExchangeCalendars()`. */
export class ExchangeRulesNotLoadedError extends Error {
  override readonly name = 'ExchangeRulesNotLoadedError';
  constructor(mic: string) {
    super(
      `the ${mic} calendar was read before the exchanges' rules were loaded: await loadExchangeCalendars() (adapters/calendars/load.ts) first`,
    );
  }
}

/** One exchange's rules; undefined for a code that is not an exchange's. */
export function exchangeRules(mic: string): ExchangeRules | undefined {
  if (!own(EXCHANGE_FACTS, mic)) return undefined;
  if (RULES === undefined) throw new ExchangeRulesNotLoadedError(mic);
  return own(RULES, mic);
}

/**
 * Names `excludeCalendars` accepts besides a policy's own lists: every MIC above, and `nyse` (the name the
 * old built-in list had), which now means XNYS by rule.
 */
export const BUILT_IN_CALENDAR_NAMES: readonly string[] = [...EXCHANGE_CODES, 'nyse'];

/** The exchange a built-in calendar name stands for (its MIC). */
export function exchangeOfCalendar(name: string): { mic: string } | undefined {
  const mic = name === 'nyse' ? 'XNYS' : name;
  return own(EXCHANGE_FACTS, mic) ? { mic } : undefined;
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
  const rules = exchangeRules(mic);
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
  return localDate(at, exchangeTimeZone(mic));
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
  return own(EXCHANGE_FACTS, mic)?.sessionMinutes ?? 0;
}

/** The IANA zone an exchange publishes its hours in. */
export function exchangeTimeZone(mic: string): string {
  return own(EXCHANGE_FACTS, mic)?.timeZone ?? 'UTC';
}
