import { array, number, object, string, tuple, boolean, union, type infer as Infer } from 'zod';
import { MlMemoryShape } from './ml-memory.ts';
import { dictionary } from './common.ts';

/** [epoch ms, value]: compact so a 15-minute window of 10-second samples stays small in Redis. */
const sample = tuple([number(), number()]);
/**
 * A metric's sample, or the samples of one resolution step merged: [newest epoch ms, newest value, count,
 * sum, max] (core/strategies/metric-samples.ts: 1-second steps for windows up to 30 minutes).
 */
const sampleEntry = union([sample, tuple([number(), number(), number().int().positive(), number(), number()])]);

/** What one plan's window looked like the last time it was computed (cron evaluation is cached here). */
export const PlanCursorSchema = object({
  /** Fingerprint of the plan (and calendars) this was computed for; a changed plan is recomputed. */
  fingerprint: string(),
  /** The state below holds for now in [validFrom, validUntil). */
  validFrom: number(),
  validUntil: number(),
  active: boolean(),
  /** Window open time (epoch ms), when active. */
  windowStart: number().nullable(),
  /** Window close time (epoch ms), when active. */
  windowEnd: number().nullable(),
  /** Human-readable window, e.g. "2026-03-09 09:30–16:00 America/New_York". */
  label: string(),
  /** Why a followed exchange is closed, or its calendar cannot tell, now: carried into the decision's reasons. */
  note: string().optional(),
});
export type PlanCursor = Infer<typeof PlanCursorSchema>;

/**
 * The learned demand profile of predictive scaling (core/strategies/predictive.ts): absent while the policy's
 * `predictive.mode` is off. Bounded: one number per bucket of the day (twice that with `weekly`), at most
 * 2 × 96 at the smallest bucket (900 s), about 1.2 KB of JSON.
 */
export const DemandProfileSchema = object({
  /** The bucket settings it was learned under (`900`, `900w`): other settings start a new profile. */
  key: string(),
  /** Per bucket (weekday buckets first, then weekend ones): the forecast demand, replicas, or null never fed. */
  peaks: array(number().nullable()),
  /** Seconds of history fed into each profile (weekday, weekend), at most 14 days. */
  fedSeconds: array(number()),
  /** Start (epoch ms) of the bucket being observed, and the peak of the smoothed demand in it so far. */
  bucketAt: number(),
  peak: number().nullable(),
  /** The demand smoothed over about a minute, and the time of its newest point (epoch ms). */
  smoothed: number(),
  smoothedAt: number(),
  /** The last bucket that closed with a forecast: [forecast, observed peak], replicas. */
  verdict: tuple([number(), number()]).optional(),
});
export type DemandProfile = Infer<typeof DemandProfileSchema>;

/**
 * The target's memory: everything the core needs to remember between decisions, as plain JSON the shell
 * keeps in Redis. Every list is pruned to the longest window that reads it, so it stays bounded.
 */
export const MemorySchema = object({
  v: number().int().default(1),
  /** Recent samples per metric name, oldest first; those of one resolution step merged into one entry. */
  samples: dictionary(string(), array(sampleEntry)).prefault({}),
  /** Demand [at, replicas, unrounded] of the tracked metrics for the look-ahead's trend, oldest first. */
  demand: array(sample).optional(),
  /** Predictive scaling's learned daily profile (absent while `predictive.mode` is off). */
  profile: DemandProfileSchema.optional(),
  /** Raw recommendations [at, replicas] for the stabilization windows, oldest first. */
  recommendations: array(sample).default([]),
  /** Scaling changes [at, delta] for the rate limits' periods, oldest first. */
  scaleEvents: array(sample).default([]),
  lastScaleOutAt: number().nullable().default(null),
  lastScaleInAt: number().nullable().default(null),
  /** Burst (panic) mode state. */
  burst: object({ since: number(), lastTriggeredAt: number(), peak: number() }).nullable().default(null),
  /** Consecutive failed or INSUFFICIENT_DATA observations (missing-metrics fallback). */
  missing: object({ consecutive: number().int(), since: number().nullable() }).prefault({
    consecutive: 0,
    since: null,
  }),
  /** Active manual override. */
  override: object({ capacity: number().int(), expiresAt: number(), reason: string() }).nullable().default(null),
  /** Cached plan windows by plan name. */
  plans: dictionary(string(), PlanCursorSchema).prefault({}),
  /**
   * Alarm states by alarm name (latest seen). For a step-scaling alarm also its last value and threshold and
   * when it last stepped: an alarm that stays in ALARM steps again on a later tick (core/strategies/step-scaling.ts).
   */
  alarms: dictionary(
    string(),
    object({
      state: string(),
      at: number(),
      value: number().optional(),
      threshold: number().optional(),
      steppedAt: number().optional(),
    }),
  ).prefault({}),
  lastDecisionAt: number().nullable().default(null),
  ...MlMemoryShape,
});
export type Memory = Infer<typeof MemorySchema>;

/** A fresh memory for a target never seen before. */
export function emptyMemory(): Memory {
  return MemorySchema.parse({});
}
