/**
 * A target's recent signals as the stores keep them (the policy editor replays them under an unsaved
 * policy): one JSON entry per committed decision, written by the commit itself (no round trip of its own),
 * bounded in bytes per entry here and in count and age by the store.
 */
import { SignalSchema } from '../../core/schema/signal.ts';
import { ObservedCapacitySchema } from '../../core/schema/target.ts';
import type { CommitRequest, RecentSignal } from '../ports/state-store.ts';
import type { StateStoreOptions } from './options.ts';

/**
 * The entry for `request` ('' to keep none: no signal given, the store keeps none, or the signal alone is over
 * the byte cap). An observation that would take the entry over the cap is left out, the signal kept.
 */
export function encodeRecentSignal(
  request: CommitRequest,
  options: Pick<StateStoreOptions, 'recentSignalsMax' | 'recentSignalMaxBytes'>,
): string {
  if (!request.recent || options.recentSignalsMax <= 0) return '';
  const { decision } = request;
  const entry = {
    eventId: request.eventId,
    at: request.now,
    signal: request.recent.signal,
    observed: request.recent.observed,
    decided: {
      outcome: decision.outcome,
      currentCapacity: decision.currentCapacity,
      desiredCapacity: decision.desiredCapacity,
    },
  };
  let text = JSON.stringify(entry);
  // JSON text is mostly ASCII: its length is the byte count unless it holds wider characters.
  if (Buffer.byteLength(text) <= options.recentSignalMaxBytes) return text;
  text = JSON.stringify({ ...entry, observed: null });
  return Buffer.byteLength(text) <= options.recentSignalMaxBytes ? text : '';
}

/** The entry in `text`, or null when it no longer parses (a schema change, a damaged value). */
export function decodeRecentSignal(text: string, oldestAt: number): RecentSignal | null {
  let raw: {
    eventId?: unknown;
    at?: unknown;
    signal?: unknown;
    observed?: unknown;
    decided?: { outcome?: unknown; currentCapacity?: unknown; desiredCapacity?: unknown };
  };
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw.eventId !== 'string' || typeof raw.at !== 'number' || raw.at < oldestAt) return null;
  const signal = SignalSchema.safeParse(raw.signal);
  if (!signal.success) return null;
  const observed = raw.observed === null ? null : ObservedCapacitySchema.safeParse(raw.observed);
  const decided = raw.decided;
  if (
    typeof decided?.outcome !== 'string' ||
    typeof decided.currentCapacity !== 'number' ||
    typeof decided.desiredCapacity !== 'number'
  )
    return null;
  return {
    eventId: raw.eventId,
    at: raw.at,
    signal: signal.data,
    observed: observed === null || !observed.success ? null : observed.data,
    decided: {
      outcome: decided.outcome,
      currentCapacity: decided.currentCapacity,
      desiredCapacity: decided.desiredCapacity,
    },
  };
}
