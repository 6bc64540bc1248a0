/** Seconds [from, to) during which one replica of the oracle's plan must be ready. */
export interface ReadyInterval {
  from: number;
  to: number;
}

/** The oracle's launch and release plan: when each replica must be ready, and how many start ready. */
export interface OraclePlan {
  /** Every interval a replica must be ready for, by start time (those starting at 0 are booted at the start). */
  intervals: ReadyInterval[];
  /** Replicas ready at the start of the run (intervals starting at 0). */
  initialReplicas: number;
  /** Replica-seconds the plan bills with this boot time: each interval, plus one boot for each launched one. */
  billedReplicaSeconds: number;
}

/**
 * The cheapest launch and release plan for a per-minute need when a replica bills `bootSeconds` before it
 * serves. Replicas are interchangeable, so the need splits into levels (level k is needed in the minutes
 * whose need is ≥ k) and each level is planned alone: a replica is kept through a gap in its level no longer
 * than a boot (keeping it costs the gap; releasing and launching again costs a boot: the ski-rental
 * break-even, which in hindsight is exact), and launched exactly one boot ahead of the next interval. A
 * level needed within the first boot of the run starts ready (nothing launched at the start could serve
 * sooner). Worked example, boot 525 s: need 2 in minutes 0-9, 1 in 10-14, 2 in 15-19 → level 2 has a 300-s
 * gap (≤ 525), so it is kept: two replicas for 20 minutes, 2,400 replica-seconds, nothing launched.
 */
export function oraclePlan(
  perMinute: ArrayLike<number>,
  bootSeconds: number,
  durationSeconds: number,
  /** A level first needed within this many seconds starts ready (the longest boot: default `bootSeconds`). */
  readyAtStartWithin = bootSeconds,
): OraclePlan {
  let levels = 0;
  for (let minute = 0; minute < perMinute.length; minute++) levels = Math.max(levels, perMinute[minute]!);
  const intervals: ReadyInterval[] = [];
  let initialReplicas = 0;
  let billed = 0;
  for (let level = 1; level <= levels; level++) {
    let open: ReadyInterval | null = null;
    const close = (interval: ReadyInterval) => {
      intervals.push(interval);
      billed += interval.to - interval.from + (interval.from > 0 ? bootSeconds : 0);
      if (interval.from === 0) initialReplicas++;
    };
    for (let minute = 0; minute < perMinute.length; minute++) {
      if (perMinute[minute]! < level) continue;
      const from = Math.min(minute * 60, durationSeconds);
      const to = Math.min((minute + 1) * 60, durationSeconds);
      if (to <= from) continue;
      if (open === null) {
        // The level's first interval: nothing launched at the start could be ready sooner than a boot.
        open = { from: from <= readyAtStartWithin ? 0 : from, to };
      } else if (from - open.to <= bootSeconds) {
        open.to = to;
      } else {
        close(open);
        open = { from, to };
      }
    }
    if (open !== null) close(open);
  }
  intervals.sort((a, b) => a.from - b.from || a.to - b.to);
  return { intervals, initialReplicas, billedReplicaSeconds: billed };
}
