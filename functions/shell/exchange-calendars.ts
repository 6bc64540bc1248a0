import { addDays, exchangeDay, localDateAt } from '../../core/calendars/index.ts';
import type { ExchangeDay, ExchangeOverride } from '../../core/calendars/types.ts';
import { parseDocument, ValidationError } from '../../core/errors.ts';
import { ExchangeOverrideSchema } from '../../core/schema/exchange-override.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';

/**
 * Recording closures and changed hours: the one function the CLI (`tide calendars close|hours`) and the
 * HTTP API (`write` scope) both call. The document is checked by its schema, then against the clock: a
 * closure dated before today at the exchange changes nothing and is refused, naming the field and value.
 */
export async function recordExchangeOverride(
  store: StateStore,
  document: unknown,
  now: number,
): Promise<ExchangeOverride> {
  const result = parseDocument(ExchangeOverrideSchema, document, 'exchange override');
  if (!result.ok) throw result.error;
  const override = result.value as ExchangeOverride;
  const today = localDateAt(override.exchange, now);
  if (override.date < today)
    throw new ValidationError('exchange override', [
      {
        path: 'date',
        message: `is in the past at ${override.exchange} (today there is ${today}), was: ${override.date}`,
        received: override.date,
      },
    ]);
  // Entries from before yesterday can no longer change a decision: they are dropped as this one is written.
  await store.putExchangeOverride(override, addDays(today, -1));
  return override;
}

/**
 * Parse a closure or changed-hours document and check it against the clock (what `tide validate` and the
 * API answer): throws `ValidationError` naming the field and the value.
 */
export function parseExchangeOverride(document: unknown, now: number): ExchangeOverride {
  const result = parseDocument(ExchangeOverrideSchema, document, 'exchange override');
  if (!result.ok) throw result.error;
  const override = result.value as ExchangeOverride;
  const today = localDateAt(override.exchange, now);
  if (override.date < today)
    throw new ValidationError('exchange override', [
      {
        path: 'date',
        message: `is in the past at ${override.exchange} (today there is ${today}), was: ${override.date}`,
        received: override.date,
      },
    ]);
  return override;
}

/** A closure or changed-hours document is told from a policy or target by its `exchange` and `status`. */
export function isExchangeOverrideDocument(document: unknown): boolean {
  return typeof document === 'object' && document !== null && 'exchange' in document && 'status' in document;
}

/** Forget a recorded closure or changed hours; false when there was none. */
export async function removeExchangeOverride(store: StateStore, exchange: string, date: string): Promise<boolean> {
  return store.deleteExchangeOverride(exchange, date);
}

/** The session of an exchange on a date with the deployment's recorded closures applied, for display. */
export async function exchangeDayWithOverrides(
  store: StateStore,
  exchange: string,
  date: string,
): Promise<ExchangeDay | undefined> {
  return exchangeDay(exchange, date, await store.listExchangeOverrides());
}
