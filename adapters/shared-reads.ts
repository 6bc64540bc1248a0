/**
 * A provider read shared for a bounded time by the actuators of a process: the one primitive behind every
 * cloud's shared capacity reads (AWS: steady SageMaker endpoints and Auto Scaling groups; Google Cloud: groups,
 * node pools, Vertex endpoints; Azure: scale sets and their instance lists). The actuators are built per
 * delivery or per target, so it lives beside the clients, one per process.
 *
 * - Max age: a read may take an answer whose request started less than `maxAgeMs` ago (0: always read; the
 *   answer is still kept for later reads that allow an age).
 * - Single flight: a read still in flight is shared, so concurrent deliveries for one resource make one request.
 * - Forget on write: every change Tide makes to a resource forgets its entry, before the call and again after it
 *   (whatever its outcome), so a read after Tide's own change is always fresh, and a read that overlapped the
 *   change is not kept. Failures are never kept (their callers in flight share them, later reads retry).
 * - `keep`: whether an answer may be kept once it arrives (AWS keeps only a steady endpoint: one that is
 *   Updating must be read again, so later decisions see its progress).
 * - `valid`: whether a kept answer still holds, asked of it before it is given out (Azure: an instance list holds
 *   while its scale set shows the same capacity, sku, provisioning state and etag); when not, the resource is
 *   read again.
 *
 * Why a bounded reuse is safe for a decision (default 1 s): the values decided on move far slower than that.
 * Metrics are aligned over 60 s, instances take tens of seconds to minutes to boot, and scale-in waits out a
 * stabilization window of minutes; what changes within a second is only what Tide itself did (forgotten at once)
 * or another instance of the function did, which was racing this delivery anyway: the state store's
 * compare-and-set orders their decisions, not the freshness of the snapshot. It protects the provider's API rate
 * limits in an alarm storm, as informer caches do for Karpenter and KEDA's cached metrics.
 */

interface Entry {
  /** Clock ms when the request started. */
  startedAt: number;
  value: Promise<unknown>;
}

/** How one kind of read is shared. */
export interface SharedReadOptions<T> {
  /** Whether an answer may be kept for later reads once it arrives (default: every answer). */
  keep?: (answer: T) => boolean;
  /** Whether a kept answer still holds for this read (default: it does); when not, the resource is read again. */
  valid?: (kept: T) => boolean | Promise<boolean>;
}

export interface SharedReadsOptions {
  /** The clock ages are measured on, ms (default: `performance.now`, monotonic). */
  now?: () => number;
  /** Resources remembered at most, the oldest dropped first (resources in use are few; this bounds a leak). */
  maxEntries?: number;
}

/** The default time a capacity read may be shared, ms. */
export const DEFAULT_SHARED_READ_MAX_AGE_MS = 1_000;

export class SharedReads {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: SharedReadsOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#maxEntries = options.maxEntries ?? 4_096;
  }

  /** `load()`'s answer, or a kept one whose request started less than `maxAgeMs` ago (in flight or not). */
  read<T>(key: string, maxAgeMs: number, load: () => Promise<T>, options: SharedReadOptions<T> = {}): Promise<T> {
    const kept = this.#entries.get(key);
    if (!kept || this.#now() - kept.startedAt >= maxAgeMs) return this.#load(key, load, options);
    const value = kept.value as Promise<T>;
    const { valid } = options;
    if (!valid) return value;
    return value.then(async (answer) => {
      if (await valid(answer)) return answer;
      // Not valid: read again, once for all the readers that found the same kept answer.
      if (this.#entries.get(key) === kept) return this.#load(key, load, options);
      return this.read(key, maxAgeMs, load, options);
    });
  }

  /** Forget a resource's answer: called before and after every change Tide makes to it. */
  forget(key: string): void {
    this.#entries.delete(key);
  }

  /**
   * Run one of Tide's changes to `key` (or to the resource several kept answers describe, `keys`): the kept answers
   * are forgotten before the call and after it, whatever its end.
   */
  async changing<T>(keys: string | readonly string[], change: () => Promise<T>): Promise<T> {
    const forget = () => {
      if (typeof keys === 'string') this.forget(keys);
      else for (const key of keys) this.forget(key);
    };
    forget();
    try {
      return await change();
    } finally {
      forget();
    }
  }

  #load<T>(key: string, load: () => Promise<T>, options: SharedReadOptions<T>): Promise<T> {
    const startedAt = this.#now();
    const value = load();
    const entry: Entry = { startedAt, value };
    this.#entries.delete(key); // re-inserted last: the map's order is the age order the bound drops by
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, entry);
    const drop = () => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    };
    const { keep } = options;
    value.then((answer) => {
      if (keep && !keep(answer)) drop();
    }, drop);
    return value;
  }
}
