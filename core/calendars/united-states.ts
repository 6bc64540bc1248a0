import { dayNumber, easterSunday, nthWeekday, weekday } from './dates.ts';
import type { DayRule, ExchangeRules } from './types.ts';

/**
 * US equity holidays by NYSE Rule 7.2 (Nasdaq Rule 4120 keeps the same days): a holiday on a Saturday is
 * observed on the Friday before, on a Sunday the Monday after, except New Year's Day on a Saturday, which
 * is not observed (the Friday closes a month and a year). Early closes at 13:00 ET: the day before
 * Independence Day (Monday-Thursday), the day after Thanksgiving, Christmas Eve (Monday-Thursday).
 */

interface UsYear {
  holidays: Map<number, string>;
  early: Map<number, string>;
}

/** Observed date of a fixed-date holiday (Saturday → Friday, Sunday → Monday). */
function observed(days: number): number {
  const wd = weekday(days);
  if (wd === 6) return days - 1;
  if (wd === 0) return days + 1;
  return days;
}

/**
 * Closures the exchanges announced outside the rules, with the notice. Inside the known years only: a
 * future one is recorded as data (`tide calendars close`), not here.
 */
const US_SPECIAL_CLOSURES: Record<number, string> = {
  // NYSE and Nasdaq closed equities and options for the National Day of Mourning for President Jimmy
  // Carter, announced 2024-12-30 (reported e.g. https://theepochtimes.com/business/nyse-nasdaq-to-close-on-jan-9-to-observe-day-of-mourning-for-carter-5783784);
  // CME closed US equity products at 08:30 CT that day (https://mondovisione.com/media-and-resources/news/cme-group-announces-trading-hours-for-us-national-day-of-mourning-to-honor-for/).
  [dayNumber(2025, 1, 9)]: 'National Day of Mourning for President Jimmy Carter',
};

const years = new Map<number, UsYear>();

/** The NYSE holidays and early closes of one year (built once per year, then looked up). */
export function usYear(year: number): UsYear {
  let cached = years.get(year);
  if (cached) return cached;
  const holidays = new Map<number, string>();
  const early = new Map<number, string>();
  const newYear = dayNumber(year, 1, 1);
  if (weekday(newYear) !== 6) holidays.set(observed(newYear), "New Year's Day");
  holidays.set(nthWeekday(year, 1, 1, 3), 'Martin Luther King, Jr. Day');
  holidays.set(nthWeekday(year, 2, 1, 3), "Washington's Birthday");
  holidays.set(easterSunday(year) - 2, 'Good Friday');
  holidays.set(nthWeekday(year, 5, 1, -1), 'Memorial Day');
  holidays.set(observed(dayNumber(year, 6, 19)), 'Juneteenth National Independence Day');
  holidays.set(observed(dayNumber(year, 7, 4)), 'Independence Day');
  holidays.set(nthWeekday(year, 9, 1, 1), 'Labor Day');
  const thanksgiving = nthWeekday(year, 11, 4, 4);
  holidays.set(thanksgiving, 'Thanksgiving Day');
  holidays.set(observed(dayNumber(year, 12, 25)), 'Christmas Day');
  for (const [day, name] of Object.entries(US_SPECIAL_CLOSURES)) {
    if (new Date(Number(day) * 86_400_000).getUTCFullYear() === year) holidays.set(Number(day), name);
  }
  const julyThird = dayNumber(year, 7, 3);
  if (weekday(julyThird) >= 1 && weekday(julyThird) <= 4) early.set(julyThird, 'the day before Independence Day');
  early.set(thanksgiving + 1, 'the day after Thanksgiving');
  const christmasEve = dayNumber(year, 12, 24);
  if (weekday(christmasEve) >= 1 && weekday(christmasEve) <= 4) early.set(christmasEve, 'Christmas Eve');
  cached = { holidays, early };
  years.set(year, cached);
  return cached;
}

function yearOf(days: number): number {
  return new Date(days * 86_400_000).getUTCFullYear();
}

const US_FIRST_YEAR = 2022;
const LAST_YEAR = 2099;
const BEFORE_US = 'the NYSE holiday set in these rules starts in 2022, when Juneteenth was first observed';
const AFTER = 'the rules are checked through 2099';

function cashRule(early: string) {
  return (days: number): DayRule | undefined => {
    const year = usYear(yearOf(days));
    const holiday = year.holidays.get(days);
    if (holiday) return { kind: 'closed', reason: holiday };
    const why = year.early.get(days);
    if (why) return { kind: 'early', close: early, reason: why };
    return undefined;
  };
}

/** New York Stock Exchange: 09:30–16:00 ET. */
export const XNYS: ExchangeRules = {
  mic: 'XNYS',
  name: 'New York Stock Exchange',
  timeZone: 'America/New_York',
  source:
    'NYSE Rule 7.2 and the NYSE Group holiday and early closings calendars (https://www.nyse.com/markets/hours-calendars)',
  hours: () => ({ open: '09:30', close: '16:00' }),
  firstYear: US_FIRST_YEAR,
  lastYear: LAST_YEAR,
  before: BEFORE_US,
  after: AFTER,
  rule: cashRule('13:00'),
};

/** Nasdaq: the same holidays and 13:00 early closes as the NYSE (Nasdaq Rule 4120). */
export const XNAS: ExchangeRules = {
  ...XNYS,
  mic: 'XNAS',
  name: 'Nasdaq Stock Market',
  source:
    'Nasdaq Rule 4120 and the Nasdaq holiday schedule (https://www.nasdaqtrader.com/Trader.aspx?id=Calendar), the same days as NYSE Rule 7.2',
};

/**
 * CME Globex equity index futures (E-mini S&P 500 and the like), by trade date: the session opens at
 * 17:00 CT the calendar day before and closes at 16:00 CT (the hour between is the daily maintenance
 * halt). On US holidays the NYSE closes for, CME halts equity index futures at 12:00 CT and reopens at
 * 17:00 for the next trade date, except New Year's Day and Christmas (closed) and Good Friday (closed,
 * unless the jobs report falls on it: CME then opened equities until 08:15 CT, in 2015 and 2021, and
 * announces it each year, so such a Good Friday is "unknown" until an operator records the hours). On the
 * NYSE's 13:00 ET early-close days, equity index futures close at 12:15 CT.
 */
export const XCME_EQUITY: ExchangeRules = {
  mic: 'XCME',
  name: 'CME Globex equity index futures',
  timeZone: 'America/Chicago',
  source:
    'CME Group holiday calendar and Globex trading hours for equity index products (https://www.cmegroup.com/tools-information/holiday-calendar.html)',
  hours: () => ({ open: '17:00', close: '16:00' }),
  opensDayBefore: true,
  firstYear: 2024,
  lastYear: LAST_YEAR,
  before: 'the CME holiday halts in these rules (12:00 CT) are checked from 2024',
  after: AFTER,
  rule(days) {
    const year = usYear(yearOf(days));
    const holiday = year.holidays.get(days);
    if (holiday === "New Year's Day" || holiday === 'Christmas Day') return { kind: 'closed', reason: holiday };
    if (holiday === 'Good Friday') {
      // The employment report comes out on the first Friday of the month.
      if (new Date(days * 86_400_000).getUTCDate() <= 7)
        return {
          kind: 'unknown',
          reason:
            'Good Friday on the first Friday of the month: CME decides each year whether equity futures trade for the jobs report',
        };
      return { kind: 'closed', reason: holiday };
    }
    if (holiday === 'National Day of Mourning for President Jimmy Carter')
      return { kind: 'early', close: '08:30', reason: holiday };
    if (holiday) return { kind: 'early', close: '12:00', reason: `${holiday} (trading halt)` };
    const why = year.early.get(days);
    if (why) return { kind: 'early', close: '12:15', reason: why };
    return undefined;
  },
};
