/**
 * Reads of one resource shared for a bounded time by the actuators of a process (they are built per
 * delivery, so this lives beside the clients). A delivery's capacity read may take an answer whose request
 * started at most `maxAgeMs` ago, or one still in flight; anything Tide changes through the same clients
 * forgets the resource's entry, so a read after Tide's own resize is always fresh. A failed read is never
 * kept.
 *
 * Why a bounded reuse is safe for a decision (default 1 s): the values it decides on move far slower than
 * that. Cloud Monitoring aligns metrics over 60 s, instances take tens of seconds to minutes to boot, and
 * scale-in waits out a stabilization window of minutes; what changes within a second is only what Tide
 * itself did (forgotten at once) or another instance of the function did, which was racing this delivery
 * anyway: the state store's compare-and-set orders their decisions, not the freshness of the snapshot. Where
 * it pays: bursts on one group (many alert policies firing together, Pub/Sub redelivering a backlog), where
 * every delivery read the same group twice.
 */

interface Entry {
  startedAt: number;
  value: Promise<unknown>;
}

export class RecentReads {
  readonly #entries = new Map<string, Entry>();

  /**
   * @param now the clock the ages are measured on (epoch ms).
   * @param limit entries kept at most (resources in use are few; this bounds a leak).
   */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly limit = 1_000,
  ) {}

  /**
   * `load()`'s answer, or the kept one when its request started at most `maxAgeMs` ago (0: always read; the
   * answer is kept for later reads that allow an age).
   */
  read<T>(key: string, maxAgeMs: number, load: () => Promise<T>): Promise<T> {
    const now = this.now();
    const kept = this.#entries.get(key);
    if (kept && maxAgeMs > 0 && now - kept.startedAt <= maxAgeMs) return kept.value as Promise<T>;
    const value = load();
    if (this.#entries.size >= this.limit) this.#entries.clear();
    const entry = { startedAt: now, value };
    this.#entries.set(key, entry);
    value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return value;
  }

  /** Forget a resource's answer: called after every change Tide makes to it (whether the call succeeded or not). */
  forget(key: string): void {
    this.#entries.delete(key);
  }
}
