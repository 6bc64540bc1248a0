import type { ExchangeOverride } from '../../core/calendars/types.ts';
import { ExchangeOverridesSchema, MAX_EXCHANGE_OVERRIDES } from '../../core/schema/exchange-override.ts';
import { ExchangeOverrideLimitError, StateCorruptError } from './errors.ts';

/**
 * The deployment's recorded exchange closures and changed hours, kept as ONE small JSON document (at most
 * 256 entries, a few KiB) that the load script reads with the target's state: every decision sees them
 * without another round trip. Written rarely (an operator's command), with a compare-and-set on the whole
 * document.
 */

/** The list with `override` recorded (replacing one for the same exchange and date), past dates dropped. */
export function withOverride(
  current: readonly ExchangeOverride[],
  override: ExchangeOverride,
  keepFrom: string,
): ExchangeOverride[] {
  const next = current.filter(
    (o) => o.date >= keepFrom && !(o.exchange === override.exchange && o.date === override.date),
  );
  if (next.length >= MAX_EXCHANGE_OVERRIDES) throw new ExchangeOverrideLimitError(MAX_EXCHANGE_OVERRIDES);
  next.push(override);
  return next.sort((a, b) => (a.date === b.date ? a.exchange.localeCompare(b.exchange) : a.date < b.date ? -1 : 1));
}

export function withoutOverride(current: readonly ExchangeOverride[], exchange: string, date: string) {
  return current.filter((o) => !(o.exchange === exchange && o.date === date));
}

export function encodeOverrides(overrides: readonly ExchangeOverride[]): string {
  return overrides.length === 0 ? '' : JSON.stringify(overrides);
}

// Every load returns the same document until an operator changes it: parse it once per text.
let lastText: string | undefined;
let lastParsed: ExchangeOverride[] = [];

/** Decode the stored document ('' or null: none); a document that fails its schema is corrupt state. */
export function decodeOverrides(key: string, text: string | null): ExchangeOverride[] {
  if (text === null || text === '') return [];
  if (text === lastText) return lastParsed;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StateCorruptError(key, 'exchange overrides are not JSON');
  }
  const result = ExchangeOverridesSchema.safeParse(value);
  if (!result.success)
    throw new StateCorruptError(key, `exchange overrides fail their schema: ${result.error.message}`);
  lastText = text;
  lastParsed = result.data as ExchangeOverride[];
  return lastParsed;
}
