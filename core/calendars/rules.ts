/**
 * Every exchange's rules, by ISO 10383 MIC. A module of its own, handed to ./index.ts by
 * `provideExchangeRules` (adapters/calendars/load.ts loads it): a cloud function loads it when it first reads a
 * policy that names an exchange, so the functions whose policies name none never load it (issue 18: about 11 KB
 * of every function's start-up bundle).
 */
import { XETR, XLON } from './europe.ts';
import { XHKG } from './hong-kong.ts';
import { XTKS } from './japan.ts';
import type { ExchangeRules } from './types.ts';
import { XCME_EQUITY, XNAS, XNYS } from './united-states.ts';

/** The exchange calendars, by ISO 10383 MIC. XCME is CME Globex's equity index futures session. */
export const EXCHANGE_RULES: Readonly<Record<string, ExchangeRules>> = {
  XNYS,
  XNAS,
  XLON,
  XETR,
  XTKS,
  XHKG,
  XCME: XCME_EQUITY,
};
