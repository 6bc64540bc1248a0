import { minutesOf, parseDate, weekday } from '../../core/calendars/dates.ts';
import { addDays, localDateAt } from '../../core/calendars/index.ts';
import { EXCHANGE_RULES as EXCHANGES } from '../../core/calendars/rules.ts';
import { zonedInstant } from '../../core/calendars/zone.ts';
import type { Plan } from '../../core/schema/plan.ts';
import { cronOccurrences } from '../../core/cron.ts';

/** A minimum replica count over [from, to), epoch ms. */
export interface ScheduledFloor {
  from: number;
  to: number;
  min: number;
}

/**
 * The windows of Tide's plans as a baseline would be configured for them: a KEDA cron trigger or an AWS
 * scheduled action that raises the minimum from `preWarmSeconds` before each start until the end. Neither
 * tool has holiday exclusions (KEDA #6846), so `excludeDates` and `excludeCalendars` are ignored here.
 */
export function floorsFromPlans(plans: readonly Plan[], fromMs: number, toMs: number): ScheduledFloor[] {
  const floors: ScheduledFloor[] = [];
  for (const plan of plans) {
    if (plan.session) {
      floors.push(...sessionFloors(plan, fromMs, toMs));
      continue;
    }
    if (plan.start === undefined) continue;
    // Start a day early so a window already open at `fromMs` is found.
    const starts = cronOccurrences(plan.start, plan.timezone, fromMs - 86_400_000);
    for (let i = 0; i < 1000; i++) {
      const start = starts.next();
      if (start === undefined || start - plan.preWarmSeconds * 1000 >= toMs) break;
      const end =
        plan.durationMinutes !== undefined
          ? start + plan.durationMinutes * 60_000
          : cronOccurrences(plan.end!, plan.timezone, start).next();
      if (end === undefined) break;
      if (end > fromMs) floors.push({ from: start - plan.preWarmSeconds * 1000, to: end, min: plan.minCapacity });
    }
  }
  return floors;
}

/**
 * A session plan as a cron baseline would carry it: the exchange's regular hours every weekday, with no
 * holidays, early closes or lunch breaks (a cron line knows none of them).
 */
function sessionFloors(plan: Plan, fromMs: number, toMs: number): ScheduledFloor[] {
  const follow = plan.session as NonNullable<Plan['session']>;
  const rules = EXCHANGES[follow.exchange];
  if (!rules) return [];
  const floors: ScheduledFloor[] = [];
  const last = localDateAt(follow.exchange, toMs);
  for (
    let date = addDays(localDateAt(follow.exchange, fromMs), -1);
    date <= addDays(last, 1);
    date = addDays(date, 1)
  ) {
    const days = parseDate(date);
    if (weekday(days) === 0 || weekday(days) === 6) continue;
    const hours = rules.hours(days);
    const open = zonedInstant(rules.opensDayBefore ? days - 1 : days, minutesOf(hours.open), rules.timeZone);
    const close = zonedInstant(days, minutesOf(hours.close), rules.timeZone);
    const from =
      (follow.startMinutesBeforeClose !== undefined
        ? close - follow.startMinutesBeforeClose * 60_000
        : open + follow.openOffsetMinutes * 60_000) -
      plan.preWarmSeconds * 1000;
    const to =
      follow.durationMinutes !== undefined
        ? from + plan.preWarmSeconds * 1000 + follow.durationMinutes * 60_000
        : close + follow.closeOffsetMinutes * 60_000;
    if (to > fromMs && from < toMs) floors.push({ from, to, min: plan.minCapacity });
  }
  return floors;
}

/** The highest floor in force at `atMs` (0 when none). */
export function floorAt(floors: readonly ScheduledFloor[], atMs: number): number {
  let floor = 0;
  for (const window of floors) if (atMs >= window.from && atMs < window.to) floor = Math.max(floor, window.min);
  return floor;
}
