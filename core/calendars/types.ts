/** What an exchange's rules say about one weekday; `undefined` from a rule means the regular session. */
export type DayRule =
  | { kind: 'closed'; reason: string }
  /** The session closes early at `close` (local `HH:MM`); a lunch break after it falls away. */
  | { kind: 'early'; close: string; reason: string }
  /** The rules cannot know this date (see `ExchangeRules.firstYear`); never silently "open". */
  | { kind: 'unknown'; reason: string };

/** Regular hours, local `HH:MM`. */
export interface RegularHours {
  open: string;
  close: string;
  /** Lunch break [start, end), e.g. Tokyo 11:30–12:30. */
  lunch?: readonly [string, string];
}

/**
 * One exchange's calendar, by rule. Every calendar names its `source`: the exchange's own rule or notice
 * the rules were written from, and the tests check them against the exchange's published lists.
 */
export interface ExchangeRules {
  /** ISO 10383 market identifier code (CME's equity index futures session has the operating MIC XCME). */
  mic: string;
  name: string;
  /** IANA zone the exchange publishes its hours in. */
  timeZone: string;
  /** Where the rules come from (the exchange's rulebook, notice or calendar page). */
  source: string;
  /** Regular hours on a date (Tokyo's close moved from 15:00 to 15:30 on 2024-11-05). */
  hours(days: number): RegularHours;
  /**
   * CME Globex: the session for trade date D opens at `open` on the calendar day before D (Sunday evening
   * for Monday). Cash exchanges open and close on the same date.
   */
  opensDayBefore?: boolean;
  /** First and last year the rules are known to describe; dates outside are "unknown". */
  firstYear: number;
  lastYear: number;
  /** Why dates before `firstYear` are unknown, e.g. "Juneteenth was first observed in 2022". */
  before: string;
  /** Why dates after `lastYear` are unknown. */
  after: string;
  /** Holiday or early close of a Monday-to-Friday date inside the known years. */
  rule(days: number): DayRule | undefined;
}

/**
 * An unscheduled closure or changed hours an operator recorded (`tide calendars close|hours`), kept in
 * the state store and handed to `decide` with the target's state. It wins over the rules for its date.
 */
export interface ExchangeOverride {
  /** ISO 10383 MIC, e.g. XNYS. */
  exchange: string;
  /** Local date at the exchange, YYYY-MM-DD. */
  date: string;
  /** `closed` for the whole day; `hours` for changed open and/or close. */
  status: 'closed' | 'hours';
  /** Changed open, local HH:MM (status `hours`). */
  open?: string;
  /** Changed close, local HH:MM (status `hours`). */
  close?: string;
  /** Why, as the exchange announced it: "National Day of Mourning for President Jimmy Carter". */
  reason: string;
}

/** One resolved date of one exchange: instants in epoch ms. */
export type ExchangeDay =
  | {
      status: 'open';
      exchange: string;
      date: string;
      open: number;
      close: number;
      /** Breaks inside the session [start, end), epoch ms. */
      breaks: [number, number][];
      /** Early close, changed hours or an operator's note; absent on a regular day. */
      note?: string;
    }
  | { status: 'closed'; exchange: string; date: string; reason: string }
  | {
      status: 'unknown';
      exchange: string;
      date: string;
      reason: string;
      /** The regular session of that weekday, for a policy that holds its floor over unknown dates. */
      regular: { open: number; close: number; breaks: [number, number][] };
    };
