import { dayNumber, nthWeekday, weekday } from './dates.ts';
import type { DayRule, ExchangeRules } from './types.ts';

/**
 * Japan's national holidays under the Act on National Holidays as amended through 2018 (Emperor's Birthday
 * 23 February from 2020, Sports Day from 2020), with its two derived rules: a holiday on a Sunday gives a
 * substitute holiday on the next day that is not a holiday, and a day between two holidays is a holiday.
 * The equinox days are set each February by the Cabinet from the National Astronomical Observatory's
 * ephemeris; the formulas below reproduce them for 1980-2099, and years after that are "unknown".
 */

function vernalEquinox(year: number): number {
  return Math.floor(20.8431 + 0.242194 * (year - 1980) - Math.floor((year - 1980) / 4));
}
function autumnalEquinox(year: number): number {
  return Math.floor(23.2488 + 0.242194 * (year - 1980) - Math.floor((year - 1980) / 4));
}

const years = new Map<number, Map<number, string>>();

/** National holidays of a year (2020-2099), by day number. */
export function japaneseHolidays(year: number): Map<number, string> {
  let cached = years.get(year);
  if (cached) return cached;
  const holidays = new Map<number, string>();
  const fixed: [number, number, string][] = [
    [1, 1, "New Year's Day"],
    [2, 11, 'National Foundation Day'],
    [2, 23, "Emperor's Birthday"],
    [4, 29, 'Showa Day'],
    [5, 3, 'Constitution Memorial Day'],
    [5, 4, 'Greenery Day'],
    [5, 5, "Children's Day"],
    [11, 3, 'Culture Day'],
    [11, 23, 'Labor Thanksgiving Day'],
  ];
  for (const [month, day, name] of fixed) holidays.set(dayNumber(year, month, day), name);
  holidays.set(nthWeekday(year, 1, 1, 2), 'Coming of Age Day');
  holidays.set(dayNumber(year, 3, vernalEquinox(year)), 'Vernal Equinox Day');
  holidays.set(dayNumber(year, 9, autumnalEquinox(year)), 'Autumnal Equinox Day');
  holidays.set(nthWeekday(year, 9, 1, 3), 'Respect for the Aged Day');
  // The Tokyo Olympics moved three holidays in 2020 and 2021 (Act No. 68 of 2020).
  if (year === 2020 || year === 2021) {
    const [marine, sports, mountain] = year === 2020 ? [23, 24, 10] : [22, 23, 8];
    holidays.set(dayNumber(year, 7, marine), 'Marine Day');
    holidays.set(dayNumber(year, 7, sports), 'Sports Day');
    holidays.set(dayNumber(year, 8, mountain), 'Mountain Day');
  } else {
    holidays.set(nthWeekday(year, 7, 1, 3), 'Marine Day');
    holidays.set(nthWeekday(year, 10, 1, 2), 'Sports Day');
    holidays.set(dayNumber(year, 8, 11), 'Mountain Day');
  }
  // A day sandwiched between two holidays (in September when Respect for the Aged Day falls two days
  // before the equinox, e.g. 2026-09-22) is a "citizens' holiday".
  const sorted = [...holidays.keys()].sort((a, b) => a - b);
  for (let i = 0; i + 1 < sorted.length; i += 1) {
    const [a, b] = [sorted[i] as number, sorted[i + 1] as number];
    if (b - a === 2 && weekday(a + 1) !== 0 && !holidays.has(a + 1)) holidays.set(a + 1, "Citizens' Holiday");
  }
  // Substitute holidays: a holiday on a Sunday moves the day off to the next non-holiday.
  for (const days of [...holidays.keys()].sort((a, b) => a - b)) {
    if (weekday(days) !== 0) continue;
    let at = days + 1;
    while (holidays.has(at)) at += 1;
    holidays.set(at, `${holidays.get(days)} (substitute holiday)`);
  }
  cached = holidays;
  years.set(year, cached);
  return cached;
}

/** Tokyo's close moved from 15:00 to 15:30 on 5 November 2024 (arrowhead 4.0). */
const CLOSE_MOVED = dayNumber(2024, 11, 5);

/**
 * Tokyo Stock Exchange (JPX): morning session 09:00–11:30, afternoon 12:30–15:30 JST. Non-business days:
 * national holidays and the exchange's year-end holidays, 31 December and 2-3 January. No early closes.
 */
export const XTKS: ExchangeRules = {
  mic: 'XTKS',
  name: 'Tokyo Stock Exchange (JPX)',
  timeZone: 'Asia/Tokyo',
  source:
    'JPX business days (http://www.jpx.co.jp/english/corporate/calendar/index.html): national holidays (Cabinet Office, https://www8.cao.go.jp/chosei/shukujitsu/gaiyou.html) and 31 December, 2 and 3 January',
  hours: (days) => ({ open: '09:00', close: days >= CLOSE_MOVED ? '15:30' : '15:00', lunch: ['11:30', '12:30'] }),
  firstYear: 2020,
  lastYear: 2099,
  before: 'these Japanese holiday rules are those in force from 2020 (Emperor’s Birthday on 23 February)',
  after: 'the equinox formulas hold through 2099; later equinox days are set by the Cabinet each February',
  rule(days): DayRule | undefined {
    const date = new Date(days * 86_400_000);
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    if ((month === 12 && day === 31) || (month === 1 && (day === 2 || day === 3)))
      return { kind: 'closed', reason: 'year-end holidays' };
    const holiday = japaneseHolidays(date.getUTCFullYear()).get(days);
    return holiday ? { kind: 'closed', reason: holiday } : undefined;
  },
};
