import { CronExpressionParser } from 'cron-parser';
import type { Plan } from '../../core/schema/plan.ts';

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
    // Start a day early so a window already open at `fromMs` is found.
    const starts = CronExpressionParser.parse(plan.start, { currentDate: fromMs - 86_400_000, tz: plan.timezone });
    for (let i = 0; i < 1000; i++) {
      const start = starts.next().getTime();
      if (start - plan.preWarmSeconds * 1000 >= toMs) break;
      const end =
        plan.durationMinutes !== undefined
          ? start + plan.durationMinutes * 60_000
          : CronExpressionParser.parse(plan.end!, { currentDate: start, tz: plan.timezone }).next().getTime();
      if (end > fromMs) floors.push({ from: start - plan.preWarmSeconds * 1000, to: end, min: plan.minCapacity });
    }
  }
  return floors;
}

/** The highest floor in force at `atMs` (0 when none). */
export function floorAt(floors: readonly ScheduledFloor[], atMs: number): number {
  let floor = 0;
  for (const window of floors) if (atMs >= window.from && atMs < window.to) floor = Math.max(floor, window.min);
  return floor;
}
