import { NYSE_HOLIDAYS } from './nyse.ts';

/** Built-in exclusion calendars, by name. Dates are in the exchange's own time zone. */
export const BUILT_IN_CALENDARS: Readonly<Record<string, readonly string[]>> = {
  nyse: NYSE_HOLIDAYS,
};

export const BUILT_IN_CALENDAR_NAMES: readonly string[] = Object.keys(BUILT_IN_CALENDARS);
