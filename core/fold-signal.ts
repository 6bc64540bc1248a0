import { isoTime, num, seconds } from './format.ts';
import type { Hold } from './decision.ts';
import type { Memory } from './schema/memory.ts';
import type { Policy } from './schema/policy.ts';
import type { Signal } from './schema/signal.ts';
import { addSample, isTracked, pruneSamples, retentionMs } from './strategies/metric-samples.ts';
import { withEntry } from './dictionary.ts';

/** A signal stamped more than this after `now` is from a skewed clock: not used. */
export const FUTURE_SKEW_MS = 60_000;

export interface Ingested {
  memory: Memory;
  notes: string[];
  holds: Hold[];
  /** The signal says demand exists (used to wake a target at zero). */
  demand: boolean;
}

const NO_FAILURES: Memory['missing'] = Object.freeze({ consecutive: 0, since: null }) as Memory['missing'];

function countFailure(memory: Memory, now: number): Memory['missing'] {
  return { consecutive: memory.missing.consecutive + 1, since: memory.missing.since ?? now };
}

interface SampleState {
  memory: Memory;
  policy: Policy;
  signal: Signal;
  now: number;
  notes: string[];
  holds: Hold[];
}

/** Record a tracked metric's sample; returns whether it shows demand (a positive value). */
function recordSample(state: SampleState, metric: string, value: number): boolean {
  const { policy, signal, now } = state;
  if (!isTracked(policy, metric)) {
    state.notes.push(`${metric} ${num(value)} is not a metric this policy tracks: recorded nothing`);
    return false;
  }
  const age = now - signal.observedAt;
  if (age > policy.missingMetrics.staleAfterSeconds * 1000) {
    state.holds.push({
      rule: 'stale-data',
      reason: `${metric} sample is ${seconds(age)} old, stale after ${policy.missingMetrics.staleAfterSeconds} s: not used`,
    });
    return false;
  }
  // state.memory is ingestSignal's own fresh copy: assign, do not re-spread.
  state.memory.samples = addSample(
    state.memory.samples,
    metric,
    [signal.observedAt, value],
    now,
    retentionMs(policy, metric),
  );
  state.memory.missing = NO_FAILURES;
  return value > 0;
}

/**
 * Fold one signal into the memory: record tracked metric samples, count failed observations for the
 * missing-metrics fallback, remember alarm states and manual overrides. Pure: returns a new memory.
 */
export function ingestSignal(memory: Memory, signal: Signal, policy: Policy, now: number): Ingested {
  const notes: string[] = [];
  const holds: Hold[] = [];
  const fresh = signal.kind === 'metric' ? signal.metric : signal.kind === 'alarm' ? signal.metric : undefined;
  // One copy of the memory per decision; every change below assigns to it.
  const next: Memory = { ...memory, samples: pruneSamples(memory.samples, policy, now, fresh) };
  let demand = false;
  if (signal.observedAt > now + FUTURE_SKEW_MS) {
    holds.push({
      rule: 'stale-data',
      reason: `signal from ${signal.source} is stamped ${seconds(signal.observedAt - now)} in the future: not used (clock skew?)`,
    });
    return { memory: next, notes, holds, demand };
  }
  const state: SampleState = { memory: next, policy, signal, now, notes, holds };
  switch (signal.kind) {
    case 'metric':
      if (recordSample(state, signal.metric, signal.value)) demand = true;
      break;
    case 'metric-failure':
      if (isTracked(policy, signal.metric)) {
        next.missing = countFailure(next, now);
        notes.push(
          `${signal.metric} could not be read (${signal.error}): failure ${next.missing.consecutive} of ${policy.missingMetrics.failureThreshold} before the fallback`,
        );
      }
      break;
    case 'alarm': {
      next.alarms = withEntry(next.alarms, signal.alarmName, { state: signal.state, at: signal.observedAt });
      const relevant =
        (signal.metric !== undefined && isTracked(policy, signal.metric)) ||
        policy.stepScaling.some((step) => step.alarmName === signal.alarmName);
      if (signal.state === 'INSUFFICIENT_DATA' && relevant) {
        next.missing = countFailure(next, now);
        notes.push(
          `alarm ${signal.alarmName} has INSUFFICIENT_DATA: failure ${next.missing.consecutive} of ${policy.missingMetrics.failureThreshold} before the fallback`,
        );
        break;
      }
      const value = signal.value ?? signal.datapoints?.at(-1);
      if (signal.metric !== undefined && value !== undefined && recordSample(state, signal.metric, value))
        demand = true;
      if (signal.state === 'ALARM' && signal.comparison !== 'below') demand = true;
      break;
    }
    case 'manual-override':
      if (signal.capacity === null) {
        next.override = null;
        notes.push(`manual override cleared by ${signal.requestedBy ?? signal.source}: ${signal.reason}`);
      } else if (signal.expiresAt <= now) {
        holds.push({
          rule: 'override',
          reason: `manual override to ${signal.capacity} ignored: it expired ${seconds(now - signal.expiresAt)} ago`,
        });
      } else {
        next.override = { capacity: signal.capacity, expiresAt: signal.expiresAt, reason: signal.reason };
        notes.push(
          `manual override by ${signal.requestedBy ?? signal.source}: ${signal.capacity} until ${isoTime(signal.expiresAt)} (${signal.reason})`,
        );
      }
      break;
    default:
      break;
  }
  if (next.override && next.override.expiresAt <= now) {
    notes.push(`manual override to ${next.override.capacity} expired ${seconds(now - next.override.expiresAt)} ago`);
    next.override = null;
  }
  return { memory: next, notes, holds, demand };
}
