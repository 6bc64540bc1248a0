import { dayNumber, easterSunday, parseDate, weekday } from './dates.ts';
import { HONG_KONG_LUNAR, LUNAR_FIRST_YEAR, LUNAR_LAST_YEAR } from './hong-kong-lunar.ts';
import type { DayRule, ExchangeRules } from './types.ts';

/**
 * Hong Kong general holidays (General Holidays Ordinance, Cap. 149). The lunar and solar-term days come from
 * a table generated from date-holidays (see tools/calendars/hong-kong-lunar.ts for why not `Intl`); a
 * holiday on a Sunday, or on a day another holiday already takes, moves to the next free day that is not a
 * Sunday. HKEX keeps no trading on any of them, and trades a morning session only on the eves of
 * Christmas, New Year and Lunar New Year.
 */

interface HongKongYear {
  holidays: Map<number, string>;
  halfDays: Map<number, string>;
}
const years = new Map<number, HongKongYear>();

export function hongKongYear(year: number): HongKongYear {
  let cached = years.get(year);
  if (cached) return cached;
  const [newYear, chingMing, buddha, tuenNg, midAutumn, chungYeung] = (HONG_KONG_LUNAR[year] ?? []).map(parseDate) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const nominal: [number, string][] = [[dayNumber(year, 1, 1), 'the first day of January']];
  const lunarNewYear: [number, string][] = [
    [newYear, "Lunar New Year's Day"],
    [newYear + 1, 'the second day of Lunar New Year'],
    [newYear + 2, 'the third day of Lunar New Year'],
  ];
  // When one of the three days is a Sunday, the fourth day is the holiday instead.
  const sunday = lunarNewYear.findIndex(([days]) => weekday(days) === 0);
  if (sunday >= 0) lunarNewYear[sunday] = [newYear + 3, 'the fourth day of Lunar New Year'];
  const easter = easterSunday(year);
  nominal.push(
    [easter - 2, 'Good Friday'],
    [easter - 1, 'the day following Good Friday'],
    [chingMing, 'Ching Ming Festival'],
    [easter + 1, 'Easter Monday'],
    [dayNumber(year, 5, 1), 'Labour Day'],
    [dayNumber(year, 7, 1), 'HKSAR Establishment Day'],
    [dayNumber(year, 10, 1), 'National Day'],
    [dayNumber(year, 12, 25), 'Christmas Day'],
    [dayNumber(year, 12, 26), 'the first weekday after Christmas Day'],
    [buddha, "the Buddha's Birthday"],
    [tuenNg, 'Tuen Ng Festival'],
    [midAutumn, 'the day following the Mid-Autumn Festival'],
    [chungYeung, 'Chung Yeung Festival'],
  );
  const holidays = new Map<number, string>(lunarNewYear);
  for (const [days, name] of nominal.sort((a, b) => a[0] - b[0])) {
    let at = days;
    while (weekday(at) === 0 || holidays.has(at)) at += 1;
    holidays.set(at, at === days ? name : `${name} (the day following)`);
  }
  const halfDays = new Map<number, string>();
  for (const [days, name] of [
    [newYear - 1, "Lunar New Year's Eve"],
    [dayNumber(year, 12, 24), 'Christmas Eve'],
    [dayNumber(year, 12, 31), "New Year's Eve"],
  ] as const) {
    if (weekday(days) !== 0 && weekday(days) !== 6 && !holidays.has(days)) halfDays.set(days, name);
  }
  cached = { holidays, halfDays };
  years.set(year, cached);
  return cached;
}

/**
 * Hong Kong Exchanges (securities market): morning session 09:30–12:00, afternoon 13:00–16:00 HKT
 * (continuous trading; the closing auction follows until about 16:10). Half-day trading (the morning
 * session only) on the eves of Christmas, New Year and Lunar New Year.
 */
export const XHKG: ExchangeRules = {
  mic: 'XHKG',
  name: 'Hong Kong Exchanges (securities market)',
  timeZone: 'Asia/Hong_Kong',
  source:
    'HKEX trading calendar and trading hours (https://www.hkex.com.hk/Services/Trading-hours-and-Severe-Weather-Arrangements/Trading-Hours/Securities-Market) with the general holidays of the General Holidays Ordinance (https://www.gov.hk/en/about/abouthk/holiday/)',
  hours: () => ({ open: '09:30', close: '16:00', lunch: ['12:00', '13:00'] }),
  firstYear: LUNAR_FIRST_YEAR,
  lastYear: LUNAR_LAST_YEAR,
  before: `the lunar-date table starts in ${LUNAR_FIRST_YEAR}`,
  after: `the lunar-date table ends in ${LUNAR_LAST_YEAR} (2033 is the Chinese calendar's leap-month dispute)`,
  rule(days): DayRule | undefined {
    const year = hongKongYear(new Date(days * 86_400_000).getUTCFullYear());
    const holiday = year.holidays.get(days);
    if (holiday) return { kind: 'closed', reason: holiday };
    const half = year.halfDays.get(days);
    if (half) return { kind: 'early', close: '12:00', reason: `${half} (morning session only)` };
    return undefined;
  },
};
