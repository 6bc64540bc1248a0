import Holidays from 'date-holidays';
import { describe, expect, it } from 'vitest';
import { addDays, exchangeDay, localDateAt } from '../../../core/calendars/index.ts';

/**
 * Each calendar against the exchange's own published list for every year found published (the URL is on
 * each row). A row compares every weekday in [from, to]: the closed days and the early closes (with their
 * local close time) must be exactly the published ones, so a missing holiday and an invented one both fail.
 */
interface PublishedYear {
  exchange: string;
  year: number;
  source: string;
  closed: string[];
  /** Early closes, `MM-DD HH:MM` local. */
  early: string[];
  /** Part of the year the source covers (default the whole year), `MM-DD`. */
  from?: string;
  to?: string;
}

const NYSE_2022_2024 =
  'https://mondovisione.com/media-and-resources/news/nyse-group-announces-2022-2023-and-2024-holiday-and-early-closings-calendar/';
const NYSE_2025_2027 =
  'https://mondovisione.com/media-and-resources/news/nyse-group-announces-2025-2026-and-2027-holiday-and-early-closings-calendar/';
const NYSE_2026_2028 =
  'https://mondovisione.com/media-and-resources/news/nyse-group-announces-2026-2027-and-2028-holiday-and-early-closings-calendar-20251223/';
const NYSE_CARTER =
  'https://theepochtimes.com/business/nyse-nasdaq-to-close-on-jan-9-to-observe-day-of-mourning-for-carter-5783784';
const XETRA = 'http://www.deutsche-boerse-cash-market.com/dbcm-en/newsroom/trading-calendar';

const US: Omit<PublishedYear, 'exchange'>[] = [
  {
    year: 2022,
    source: NYSE_2022_2024,
    closed: ['01-17', '02-21', '04-15', '05-30', '06-20', '07-04', '09-05', '11-24', '12-26'],
    early: ['11-25 13:00'],
  },
  {
    year: 2023,
    source: NYSE_2022_2024,
    closed: ['01-02', '01-16', '02-20', '04-07', '05-29', '06-19', '07-04', '09-04', '11-23', '12-25'],
    early: ['07-03 13:00', '11-24 13:00'],
  },
  {
    year: 2024,
    source: NYSE_2022_2024,
    closed: ['01-01', '01-15', '02-19', '03-29', '05-27', '06-19', '07-04', '09-02', '11-28', '12-25'],
    early: ['07-03 13:00', '11-29 13:00', '12-24 13:00'],
  },
  {
    year: 2025,
    source: `${NYSE_2025_2027} and ${NYSE_CARTER}`,
    closed: ['01-01', '01-09', '01-20', '02-17', '04-18', '05-26', '06-19', '07-04', '09-01', '11-27', '12-25'],
    early: ['07-03 13:00', '11-28 13:00', '12-24 13:00'],
  },
  {
    year: 2026,
    source: `${NYSE_2025_2027} and ${NYSE_2026_2028}`,
    closed: ['01-01', '01-19', '02-16', '04-03', '05-25', '06-19', '07-03', '09-07', '11-26', '12-25'],
    early: ['11-27 13:00', '12-24 13:00'],
  },
  {
    year: 2027,
    source: `${NYSE_2025_2027} and ${NYSE_2026_2028}`,
    closed: ['01-01', '01-18', '02-15', '03-26', '05-31', '06-18', '07-05', '09-06', '11-25', '12-24'],
    early: ['11-26 13:00'],
  },
  {
    year: 2028,
    source: NYSE_2026_2028,
    closed: ['01-17', '02-21', '04-14', '05-29', '06-19', '07-04', '09-04', '11-23', '12-25'],
    early: ['07-03 13:00', '11-24 13:00'],
  },
];

const PUBLISHED: PublishedYear[] = [
  ...US.map((row) => ({ ...row, exchange: 'XNYS' })),
  ...US.map((row) => ({ ...row, exchange: 'XNAS' })),
  {
    exchange: 'XETR',
    year: 2024,
    source: XETRA,
    closed: ['01-01', '03-29', '04-01', '05-01', '12-24', '12-25', '12-26', '12-31'],
    early: [],
  },
  {
    exchange: 'XETR',
    year: 2025,
    source: XETRA,
    closed: ['01-01', '04-18', '04-21', '05-01', '12-24', '12-25', '12-26', '12-31'],
    early: [],
  },
  {
    exchange: 'XETR',
    year: 2026,
    source: XETRA,
    closed: ['01-01', '04-03', '04-06', '05-01', '12-24', '12-25', '12-31'],
    early: [],
  },
  { exchange: 'XETR', year: 2027, source: XETRA, closed: ['01-01', '03-26', '03-29', '12-24', '12-31'], early: [] },
  { exchange: 'XETR', year: 2028, source: XETRA, closed: ['04-14', '04-17', '05-01', '12-25', '12-26'], early: [] },
  {
    exchange: 'XETR',
    year: 2029,
    source: XETRA,
    closed: ['01-01', '03-30', '04-02', '05-01', '12-24', '12-25', '12-26', '12-31'],
    early: [],
  },
  {
    exchange: 'XLON',
    year: 2018,
    source:
      'https://ryt9.com/en/hol/205628 (citing www.lseg.com/areas-expertise/our-markets/london-stock-exchange/equities-markets/trading-services/business-days)',
    closed: ['01-01', '03-30', '04-02', '05-07', '05-28', '08-27', '12-25', '12-26'],
    early: ['12-24 12:30', '12-31 12:30'],
  },
  {
    exchange: 'XLON',
    year: 2021,
    source: 'https://stock-market-holidays.org/2021-london-stock-exchange-holidays/',
    closed: ['01-01', '04-02', '04-05', '05-03', '05-31', '08-30', '12-27', '12-28'],
    early: ['12-24 12:30', '12-31 12:30'],
  },
  {
    exchange: 'XLON',
    year: 2022,
    source:
      'https://www.gov.uk/bank-holidays (England and Wales) and https://prosperplanetpulse.com/?p=31676 (the Jubilee and the State Funeral closures)',
    closed: ['01-03', '04-15', '04-18', '05-02', '06-02', '06-03', '08-29', '09-19', '12-26', '12-27'],
    early: ['12-23 12:30', '12-30 12:30'],
  },
  {
    exchange: 'XLON',
    year: 2023,
    source:
      'https://www.gov.uk/bank-holidays and https://exbulletin.com/business/2717558/ (12:30 on 22 and 29 December 2023)',
    closed: ['01-02', '04-07', '04-10', '05-01', '05-08', '05-29', '08-28', '12-25', '12-26'],
    early: ['12-22 12:30', '12-29 12:30'],
  },
  {
    exchange: 'XTKS',
    year: 2022,
    source:
      'https://market24hclock.com/Trading-Hours/Tokyo-Stock-Exchange-JPX-Market-Holidays-Schedule (the JPX trading calendar)',
    closed: [
      '01-03',
      '01-10',
      '02-11',
      '02-23',
      '03-21',
      '04-29',
      '05-03',
      '05-04',
      '05-05',
      '07-18',
      '08-11',
      '09-19',
      '09-23',
      '10-10',
      '11-03',
      '11-23',
    ],
    early: [],
  },
  {
    exchange: 'XTKS',
    year: 2023,
    source:
      'https://market24hclock.com/Trading-Hours/Tokyo-Stock-Exchange-JPX-Market-Holidays-Schedule (the JPX trading calendar)',
    closed: [
      '01-02',
      '01-03',
      '01-09',
      '02-23',
      '03-21',
      '05-03',
      '05-04',
      '05-05',
      '07-17',
      '08-11',
      '09-18',
      '10-09',
      '11-03',
    ],
    early: [],
    to: '11-03',
  },
  {
    exchange: 'XTKS',
    year: 2025,
    source:
      'https://www.odex.co.jp/en/data/holiday-schedules/index.html (Osaka Dojima Exchange 2025 holiday schedule: the national holidays and the 2-3 Jan and 31 Dec exchange holidays that JPX keeps too)',
    closed: [
      '01-01',
      '01-02',
      '01-03',
      '01-13',
      '02-11',
      '02-24',
      '03-20',
      '04-29',
      '05-05',
      '05-06',
      '07-21',
      '08-11',
      '09-15',
      '09-23',
      '10-13',
      '11-03',
      '11-24',
      '12-31',
    ],
    early: [],
  },
  {
    exchange: 'XTKS',
    year: 2026,
    source: 'https://status.market/when-does-tse-open',
    closed: [
      '02-11',
      '02-23',
      '03-20',
      '04-29',
      '05-04',
      '05-05',
      '05-06',
      '07-20',
      '08-11',
      '09-21',
      '09-22',
      '09-23',
      '10-12',
      '11-03',
      '11-23',
      '12-31',
    ],
    early: [],
    from: '02-01',
  },
  {
    exchange: 'XHKG',
    year: 2021,
    source: 'https://www.cmschina.com.hk/en/CS/holidayTable (HKEX holidays and half-day trading days)',
    closed: [
      '01-01',
      '02-12',
      '02-15',
      '04-02',
      '04-05',
      '04-06',
      '05-19',
      '06-14',
      '07-01',
      '09-22',
      '10-01',
      '10-14',
      '12-27',
    ],
    early: ['02-11 12:00', '12-24 12:00', '12-31 12:00'],
  },
  {
    exchange: 'XHKG',
    year: 2025,
    source: 'https://gate.ac/tr/post/status/17520303 (the 2025 HKEX holiday schedule)',
    closed: [
      '01-01',
      '01-29',
      '01-30',
      '01-31',
      '04-04',
      '04-18',
      '04-21',
      '05-01',
      '05-05',
      '07-01',
      '10-01',
      '10-07',
    ],
    early: ['01-28 12:00'],
    to: '10-07',
  },
];

function observed(row: PublishedYear) {
  const closed: string[] = [];
  const early: string[] = [];
  let date = `${row.year}-${row.from ?? '01-01'}`;
  const last = `${row.year}-${row.to ?? '12-31'}`;
  for (; date <= last; date = addDays(date, 1)) {
    const day = exchangeDay(row.exchange, date);
    if (!day || (day.status === 'closed' && day.reason === 'weekend')) continue;
    if (day.status === 'closed') closed.push(date.slice(5));
    else if (day.status === 'unknown') closed.push(`${date.slice(5)} unknown`);
    else if (day.note) {
      const close = new Intl.DateTimeFormat('en-GB', {
        timeZone: timeZoneOf(row.exchange),
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(day.close);
      early.push(`${date.slice(5)} ${close}`);
    }
  }
  return { closed, early };
}

function timeZoneOf(exchange: string): string {
  return (
    {
      XNYS: 'America/New_York',
      XNAS: 'America/New_York',
      XETR: 'Europe/Berlin',
      XLON: 'Europe/London',
      XTKS: 'Asia/Tokyo',
      XHKG: 'Asia/Hong_Kong',
      XCME: 'America/Chicago',
    } as Record<string, string>
  )[exchange] as string;
}

describe('exchange calendars against the published lists', () => {
  it.each(PUBLISHED.map((row) => ({ ...row, label: `${row.exchange} ${row.year}` })))(
    '$label matches $source',
    (row) => {
      expect(observed(row)).toEqual({ closed: row.closed, early: row.early });
    },
  );
});

describe('Japan and Hong Kong against date-holidays (public holidays, every year the rules claim)', () => {
  // date-holidays misses the citizens' holiday of a Tuesday between Respect for the Aged Day (Monday) and
  // the autumnal equinox (Wednesday) in these years; the Act's article 3(3) makes it a holiday, as in 2026.
  const SANDWICHED = ['2032-09-21', '2049-09-21', '2060-09-21'];

  it('XTKS closes on exactly the Japanese national holidays and the 31 Dec / 2-3 Jan market holidays, 2020-2060', () => {
    const jp = new Holidays('JP', { types: ['public'] });
    const mismatches: string[] = [];
    for (let year = 2020; year <= 2060; year += 1) {
      const expected = new Set(jp.getHolidays(year).map((h) => h.date.slice(0, 10)));
      for (const extra of ['01-02', '01-03', '12-31']) expected.add(`${year}-${extra}`);
      for (const date of SANDWICHED) if (date.startsWith(String(year))) expected.add(date);
      for (let date = `${year}-01-01`; date <= `${year}-12-31`; date = addDays(date, 1)) {
        const day = exchangeDay('XTKS', date);
        if (day?.status === 'closed' && day.reason === 'weekend') continue;
        if ((day?.status === 'closed') !== expected.has(date)) mismatches.push(`${date} ${day?.status}`);
      }
    }
    expect(mismatches).toEqual([]);
    for (const date of SANDWICHED) expect(exchangeDay('XTKS', date)).toMatchObject({ reason: "Citizens' Holiday" });
  });

  it('XHKG closes on exactly the Hong Kong general holidays that fall on weekdays, 2021-2032, and is unknown after', () => {
    const hk = new Holidays('HK', { types: ['public'] });
    const mismatches: string[] = [];
    for (let year = 2021; year <= 2032; year += 1) {
      const expected = new Set(hk.getHolidays(year).map((h) => h.date.slice(0, 10)));
      for (let date = `${year}-01-01`; date <= `${year}-12-31`; date = addDays(date, 1)) {
        const day = exchangeDay('XHKG', date);
        if (day?.status === 'closed' && day.reason === 'weekend') continue;
        if ((day?.status === 'closed') !== expected.has(date)) mismatches.push(`${date} ${day?.status}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(exchangeDay('XHKG', '2033-03-01')).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining('2033'),
    });
  });
});

describe('CME Globex equity index futures', () => {
  const cme = (date: string) => exchangeDay('XCME', date);
  const chicago = (at: number) =>
    new Intl.DateTimeFormat('sv-SE', { timeZone: 'America/Chicago', dateStyle: 'short', timeStyle: 'short' }).format(
      at,
    );

  it.each([
    {
      label:
        'Thanksgiving 2024: halt at 12:00 CT (https://www.forexlive.com/news/cme-adjusted-trading-hours-for-various-products-during-thanksgiving-holiday-2024-20241128/)',
      date: '2024-11-28',
      open: '2024-11-27 17:00',
      close: '2024-11-28 12:00',
    },
    {
      label:
        'the Carter day of mourning: equities closed 08:30 CT (https://mondovisione.com/media-and-resources/news/cme-group-announces-trading-hours-for-us-national-day-of-mourning-to-honor-for/)',
      date: '2025-01-09',
      open: '2025-01-08 17:00',
      close: '2025-01-09 08:30',
    },
    {
      label: 'a Monday opens Sunday 17:00 CT',
      date: '2026-03-09',
      open: '2026-03-08 17:00',
      close: '2026-03-09 16:00',
    },
  ])('$label', ({ date, open, close }) => {
    const day = cme(date);
    expect(day?.status).toBe('open');
    if (day?.status !== 'open') return;
    expect([chicago(day.open), chicago(day.close)]).toEqual([open, close]);
  });

  it('is closed on Christmas and New Year, and unknown on a Good Friday that is the jobs-report Friday', () => {
    expect(cme('2026-12-25')?.status).toBe('closed');
    expect(cme('2027-01-01')?.status).toBe('closed');
    expect(cme('2026-04-03')).toMatchObject({ status: 'unknown', reason: expect.stringContaining('jobs report') });
    expect(cme('2025-04-18')?.status).toBe('closed');
  });
});

describe('sessions in the exchange zone', () => {
  it('keeps the NYSE open at 09:30 New York time across the DST change', () => {
    const before = exchangeDay('XNYS', '2026-03-06');
    const after = exchangeDay('XNYS', '2026-03-09');
    if (before?.status !== 'open' || after?.status !== 'open') throw new Error('expected open days');
    expect(new Date(before.open).toISOString()).toBe('2026-03-06T14:30:00.000Z');
    expect(new Date(after.open).toISOString()).toBe('2026-03-09T13:30:00.000Z');
  });

  it('has Tokyo’s lunch break and its close at 15:30 from 5 November 2024 (15:00 before)', () => {
    const day = exchangeDay('XTKS', '2026-03-09');
    const old = exchangeDay('XTKS', '2024-11-01');
    if (day?.status !== 'open' || old?.status !== 'open') throw new Error('expected open days');
    expect(day.breaks.map(([s, e]) => [new Date(s).toISOString(), new Date(e).toISOString()])).toEqual([
      ['2026-03-09T02:30:00.000Z', '2026-03-09T03:30:00.000Z'],
    ]);
    expect(new Date(day.close).toISOString()).toBe('2026-03-09T06:30:00.000Z');
    expect(new Date(old.close).toISOString()).toBe('2024-11-01T06:00:00.000Z');
  });

  it('trades only the morning in Hong Kong on Christmas Eve (no lunch break, close 12:00)', () => {
    const day = exchangeDay('XHKG', '2026-12-24');
    if (day?.status !== 'open') throw new Error('expected a half day');
    expect([new Date(day.close).toISOString(), day.breaks]).toEqual(['2026-12-24T04:00:00.000Z', []]);
  });

  it('answers "unknown" with the reason outside the known years, never "open"', () => {
    expect(exchangeDay('XNYS', '2100-01-04')).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining('2099'),
    });
    expect(exchangeDay('XNYS', '2021-06-18')).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining('Juneteenth'),
    });
    expect(exchangeDay('XNYS', '2100-01-02')?.status).toBe('closed');
  });

  it('lets a recorded closure or changed hours win over the rules', () => {
    const closure = {
      exchange: 'XNYS',
      date: '2027-01-08',
      status: 'closed' as const,
      reason: 'National Day of Mourning',
    };
    expect(exchangeDay('XNYS', '2027-01-08', [closure])).toMatchObject({
      status: 'closed',
      reason: expect.stringContaining('Mourning'),
    });
    const hours = {
      exchange: 'XNYS',
      date: '2027-01-08',
      status: 'hours' as const,
      close: '14:00',
      reason: 'systems issue',
    };
    const day = exchangeDay('XNYS', '2027-01-08', [hours]);
    if (day?.status !== 'open') throw new Error('expected open');
    expect(new Date(day.close).toISOString()).toBe('2027-01-08T19:00:00.000Z');
    expect(exchangeDay('XLON', '2027-01-08', [closure])?.status).toBe('open');
  });

  it('dates an instant at the exchange', () => {
    expect(localDateAt('XTKS', Date.parse('2026-03-08T20:00:00Z'))).toBe('2026-03-09');
  });
});
