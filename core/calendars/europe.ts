import { dayNumber, easterSunday, nthWeekday, weekday } from './dates.ts';
import type { DayRule, ExchangeRules } from './types.ts';

function yearOf(days: number): number {
  return new Date(days * 86_400_000).getUTCFullYear();
}

/** Skip back over a weekend: the last weekday on or before `days`. */
function weekdayOnOrBefore(days: number): number {
  const wd = weekday(days);
  return wd === 6 ? days - 1 : wd === 0 ? days - 2 : days;
}

/**
 * Bank holidays the UK government moved or added by proclamation, inside the known years (a future one
 * is recorded as data with `tide calendars close XLON …`).
 */
const ENGLAND_ONE_OFF: Record<number, string> = {
  [dayNumber(2020, 5, 8)]: 'Early May bank holiday (VE Day, moved from 4 May)',
  [dayNumber(2022, 6, 2)]: 'Spring bank holiday (moved for the Platinum Jubilee)',
  [dayNumber(2022, 6, 3)]: 'Platinum Jubilee bank holiday',
  [dayNumber(2022, 9, 19)]: 'State Funeral of Queen Elizabeth II',
  [dayNumber(2023, 5, 8)]: 'Coronation of King Charles III',
};
/** The regular-rule dates those one-offs replaced. */
const ENGLAND_REPLACED = new Set([dayNumber(2020, 5, 4), dayNumber(2022, 5, 30)]);

const englandYears = new Map<number, { holidays: Map<number, string>; early: Map<number, string> }>();

/**
 * England and Wales bank holidays (Banking and Financial Dealings Act 1971; a holiday on a weekend moves to
 * the next free weekday: Christmas on a Saturday gives Monday and Boxing Day Tuesday), and the LSE's
 * 12:30 close on the last business day before Christmas and the last business day of the year.
 */
function englandYear(year: number) {
  let cached = englandYears.get(year);
  if (cached) return cached;
  const holidays = new Map<number, string>();
  const add = (days: number, name: string) => {
    let at = days;
    while (weekday(at) === 0 || weekday(at) === 6 || holidays.has(at)) at += 1;
    holidays.set(at, name);
  };
  add(dayNumber(year, 1, 1), "New Year's Day");
  const easter = easterSunday(year);
  holidays.set(easter - 2, 'Good Friday');
  holidays.set(easter + 1, 'Easter Monday');
  for (const [days, name] of [
    [nthWeekday(year, 5, 1, 1), 'Early May bank holiday'],
    [nthWeekday(year, 5, 1, -1), 'Spring bank holiday'],
    [nthWeekday(year, 8, 1, -1), 'Summer bank holiday'],
  ] as const) {
    if (!ENGLAND_REPLACED.has(days)) holidays.set(days, name);
  }
  for (const [days, name] of Object.entries(ENGLAND_ONE_OFF)) {
    if (yearOf(Number(days)) === year) holidays.set(Number(days), name);
  }
  add(dayNumber(year, 12, 25), 'Christmas Day');
  add(dayNumber(year, 12, 26), 'Boxing Day');
  const early = new Map<number, string>();
  early.set(weekdayOnOrBefore(dayNumber(year, 12, 24)), 'the last business day before Christmas');
  early.set(weekdayOnOrBefore(dayNumber(year, 12, 31)), 'the last business day of the year');
  cached = { holidays, early };
  englandYears.set(year, cached);
  return cached;
}

/** London Stock Exchange order book: continuous trading 08:00–16:30 London time. */
export const XLON: ExchangeRules = {
  mic: 'XLON',
  name: 'London Stock Exchange',
  timeZone: 'Europe/London',
  source:
    'LSEG business days (https://www.lseg.com/areas-expertise/our-markets/london-stock-exchange/equities-markets/trading-services/business-days): England and Wales bank holidays (https://www.gov.uk/bank-holidays), markets closing from 12:30 on the last business days before Christmas and the year end',
  hours: () => ({ open: '08:00', close: '16:30' }),
  firstYear: 2018,
  lastYear: 2099,
  before: 'these LSE rules are checked from 2018',
  after: 'the rules are checked through 2099',
  rule(days): DayRule | undefined {
    const year = englandYear(yearOf(days));
    const holiday = year.holidays.get(days);
    if (holiday) return { kind: 'closed', reason: holiday };
    const why = year.early.get(days);
    if (why) return { kind: 'early', close: '12:30', reason: why };
    return undefined;
  },
};

/**
 * Xetra (Frankfurter Wertpapierbörse): 09:00–17:30 CET. Non-trading days by the FWB calendar: New Year's
 * Day, Good Friday, Easter Monday, Labour Day (1 May), Christmas Eve, Christmas Day, Boxing Day and New
 * Year's Eve; other German holidays (Ascension, Whit Monday, German Unity Day) are trading days. No early
 * closes.
 */
export const XETR: ExchangeRules = {
  mic: 'XETR',
  name: 'Xetra (Deutsche Börse)',
  timeZone: 'Europe/Berlin',
  source:
    'Deutsche Börse cash market trading calendar (https://www.deutsche-boerse-cash-market.com/dbcm-en/newsroom/trading-calendar)',
  hours: () => ({ open: '09:00', close: '17:30' }),
  firstYear: 2024,
  lastYear: 2099,
  before: 'the FWB non-trading days in these rules are checked from 2024 (earlier years closed on other holidays)',
  after: 'the rules are checked through 2099',
  rule(days): DayRule | undefined {
    const date = new Date(days * 86_400_000);
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    const easter = easterSunday(date.getUTCFullYear());
    if (month === 1 && day === 1) return { kind: 'closed', reason: "New Year's Day" };
    if (days === easter - 2) return { kind: 'closed', reason: 'Good Friday' };
    if (days === easter + 1) return { kind: 'closed', reason: 'Easter Monday' };
    if (month === 5 && day === 1) return { kind: 'closed', reason: 'Labour Day' };
    if (month === 12 && day === 24) return { kind: 'closed', reason: 'Christmas Eve' };
    if (month === 12 && day === 25) return { kind: 'closed', reason: 'Christmas Day' };
    if (month === 12 && day === 26) return { kind: 'closed', reason: 'Boxing Day' };
    if (month === 12 && day === 31) return { kind: 'closed', reason: "New Year's Eve" };
    return undefined;
  },
};
