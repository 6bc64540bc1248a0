/**
 * croner, handed to core once per test file (core/cron.ts takes it from adapters/cron/load.ts, as every
 * program that reads documents does at start).
 */
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

await loadCron();
await loadExchangeCalendars();
