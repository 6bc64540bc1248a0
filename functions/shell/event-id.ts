import { createHash } from 'node:crypto';
import type { Signal } from '../../core/schema/signal.ts';

/**
 * The idempotency key of a signal: the provider's delivery id when it gives one, else a SHA-256 of the
 * signal's content (keys sorted), so a redelivered copy of the same fact maps to the same key.
 */
export function eventIdOf(signal: Signal): string {
  if (signal.eventId) return signal.eventId;
  return `sha256:${createHash('sha256').update(canonicalJson(signal)).digest('hex')}`;
}

/** JSON with object keys sorted at every level, so equal content always gives equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
