import type { Outage } from '../../adapters/fake-cloud/spot-market.ts';
import { BOOT_MS, HOUR, RESTORE_MS, T0 } from './spot-training-run.ts';

/**
 * The restart-from-scratch baseline, SkyPilot managed jobs with `use_spot` and no application checkpoints:
 * run on spot; when the node is taken, all progress of the job is lost and it is relaunched on spot in a
 * zone that has capacity, or once one has (spot only: no on-demand). Same market, boot and load times.
 */
export function restartFromScratch(
  outages: Outage[][],
  horizon: number,
  jobMs: number,
  spotUsdPerHour: number,
): { lostGpuHours: number; usefulGpuHours: number; costUsd: number } {
  const end = T0 + horizon;
  const outageAt = (zone: number, t: number) => outages[zone]!.find((o) => o.start <= t && t < o.end);
  const nextStart = (zone: number, t: number) => outages[zone]!.find((o) => o.start > t)?.start ?? Infinity;
  let t = T0;
  let lost = 0;
  let useful = 0;
  let nodeHours = 0;
  let progress = 0;
  while (t < end) {
    // Find a zone with capacity now, else wait for the first outage to end.
    const zone = outages.findIndex((_, z) => !outageAt(z, t));
    if (zone < 0) {
      t = Math.min(...outages.map((_, z) => outageAt(z, t)!.end));
      continue;
    }
    const launchedAt = t;
    const preemptedAt = Math.min(nextStart(zone, t), end);
    let runFrom = t + BOOT_MS + RESTORE_MS;
    // Jobs finish back to back on the node until it is taken.
    while (runFrom + (jobMs - progress) <= preemptedAt) {
      runFrom += jobMs - progress;
      useful += jobMs;
      progress = 0;
      runFrom += RESTORE_MS; // the next job loads
    }
    if (preemptedAt > runFrom) progress += preemptedAt - runFrom;
    nodeHours += (preemptedAt - launchedAt) / HOUR;
    if (preemptedAt >= end) break;
    lost += progress;
    progress = 0;
    t = preemptedAt;
  }
  useful += progress;
  return { lostGpuHours: lost / HOUR, usefulGpuHours: useful / HOUR, costUsd: nodeHours * spotUsdPerHour };
}
