import type { Sample } from './metric-samples.ts';

export interface Stabilized {
  replicas: number;
  /** The recommendations to remember (pruned to the longest window, this one appended). */
  recommendations: Sample[];
  /** Set when the window held the result back from the raw recommendation. */
  heldBy?: { direction: 'up' | 'down'; windowSeconds: number; bound: number; leftMs: number };
}

/**
 * HPA's stabilization: remember the raw recommendations; scaling up goes only as far as the LOWEST
 * recommendation inside the scale-up window, scaling down only as far as the HIGHEST inside the scale-down
 * window. With the default 300 s down window, a single quiet minute after a busy one sheds nothing.
 */
export function stabilize(
  history: readonly Sample[],
  now: number,
  recommendation: number,
  current: number,
  upWindowSeconds: number,
  downWindowSeconds: number,
): Stabilized {
  const upCutoff = now - upWindowSeconds * 1000;
  const downCutoff = now - downWindowSeconds * 1000;
  const keepCutoff = Math.min(upCutoff, downCutoff);
  let first = 0;
  while (first < history.length && (history[first] as Sample)[0] <= keepCutoff) first += 1;
  const recommendations: Sample[] = history.slice(first);
  let up = recommendation;
  let down = recommendation;
  let downBoundAt = now;
  let upBoundAt = now;
  for (const entry of recommendations) {
    if (entry[0] > now) continue;
    if (entry[0] > upCutoff && entry[1] < up) {
      up = entry[1];
      upBoundAt = entry[0];
    }
    if (entry[0] > downCutoff && entry[1] >= down) {
      down = entry[1];
      downBoundAt = entry[0];
    }
  }
  // Runs of the same recommendation are kept as one entry stamped with the latest time it was made: the
  // window only asks "was N recommended inside it?", and the latest time answers that. A steady target
  // keeps a handful of entries instead of one per decision (smaller memory in Redis, less to copy).
  const last = recommendations[recommendations.length - 1];
  if (last !== undefined && last[1] === recommendation && last[0] <= now)
    recommendations[recommendations.length - 1] = [now, recommendation];
  else recommendations.push([now, recommendation]);
  let replicas = current;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  if (recommendation > current && replicas < recommendation) {
    return {
      replicas,
      recommendations,
      heldBy: {
        direction: 'up',
        windowSeconds: upWindowSeconds,
        bound: up,
        leftMs: upBoundAt + upWindowSeconds * 1000 - now,
      },
    };
  }
  if (recommendation < current && replicas > recommendation) {
    return {
      replicas,
      recommendations,
      heldBy: {
        direction: 'down',
        windowSeconds: downWindowSeconds,
        bound: down,
        leftMs: downBoundAt + downWindowSeconds * 1000 - now,
      },
    };
  }
  return { replicas, recommendations };
}
