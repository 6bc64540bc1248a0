/**
 * The tick's schedule, from the app setting `TIDE_TICK_INTERVAL_SECONDS` (infra/azure/main.json's
 * `tickIntervalSeconds`): every 30 s, every whole number of minutes that divides an hour (1, 2, 3, 4, 5, 6,
 * 10, 12, 15, 20, 30 min), or every hour; default every minute. Bounded below by 30 s: Azure Monitor's platform
 * metrics come at a minute's grain, so a faster tick reads the same points again, and each tick reads every
 * target's metrics and polls its operations (cost and ARM's read limits). Bounded above by an hour: plans,
 * step alarms that stay in ALARM and started operations are only seen on a tick. Any other value is refused
 * with an error naming the setting and the value, at the worker's start (the Function App does not start its
 * functions with a schedule it would misread).
 */

/** The intervals the tick may have, seconds. */
export const TICK_INTERVALS_SECONDS = [30, 60, 120, 180, 240, 300, 360, 600, 720, 900, 1200, 1800, 3600] as const;
export const DEFAULT_TICK_INTERVAL_SECONDS = 60;

/** A tick interval Tide does not take. */
export class TickIntervalError extends Error {
  override readonly name = 'TickIntervalError';
  constructor(readonly value: string) {
    super(
      `TIDE_TICK_INTERVAL_SECONDS must be one of ${TICK_INTERVALS_SECONDS.join(', ')} (seconds), was: ${JSON.stringify(value)}`,
    );
  }
}

/** The interval the setting asks for, seconds (the default when unset or empty). */
export function tickIntervalSeconds(env: Record<string, string | undefined>): number {
  const raw = env.TIDE_TICK_INTERVAL_SECONDS?.trim();
  if (raw === undefined || raw === '') return DEFAULT_TICK_INTERVAL_SECONDS;
  const seconds = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(TICK_INTERVALS_SECONDS as readonly number[]).includes(seconds)) throw new TickIntervalError(raw);
  return seconds;
}

/** The timer trigger's NCRONTAB expression (six fields, seconds first) for an allowed interval. */
export function tickSchedule(seconds: number): string {
  if (seconds === 30) return '0,30 * * * * *';
  if (seconds === 3600) return '0 0 * * * *';
  const minutes = seconds / 60;
  return minutes === 1 ? '0 * * * * *' : `0 */${minutes} * * * *`;
}
