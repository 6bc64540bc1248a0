/**
 * A scale set's instance list, reused for a short, bounded time. Observing a scale set is two ARM reads: the
 * scale set (capacity, sku, states: small) and its instances with their instance views (one entry per VM:
 * with 64 VMs about 40 times the bytes, and most of the CPU an observation costs, in the SDK's deserializers
 * and in TLS). The scale set is read on every observation; its instance list is read again unless one was read
 * for the same scale set less than `maxAgeMs` ago (default 1 s) AND the fresh scale set still shows the same
 * capacity, sku, provisioning state and etag as when it was read.
 *
 * Why this is safe:
 * - Tide's own changes are seen at once: every write this process makes to a scale set (capacity, sku,
 *   deleteInstances) drops its entry, so does the end of an operation of Tide's on it (seen by the tick's poll,
 *   whichever instance started it), and a change by anyone else to the scale set resource itself (capacity,
 *   sku, an update in progress) fails the comparison with the fresh read.
 * - What the reuse can miss is an instance's own state moving within that second (a boot finishing, a spot
 *   eviction): the same view a delivery gets that arrived up to a second earlier, which any delivery racing
 *   the cloud already risks; VM boots and evictions take tens of seconds to minutes, and the 30-s eviction
 *   notice comes as its own event. The observation's `observedAt` stays the read's time for the capacity.
 * - Reads already in flight are shared (single flight): concurrent deliveries for one scale set make one
 *   list request, each as fresh as its own would have been.
 * - A failed read is never kept. At most `maxEntries` scale sets are remembered (the oldest dropped first).
 *
 * Where it pays: bursts of deliveries for one target (an Event Grid batch, several alert rules firing
 * together, an action group's retries). One alert a minute per target meets no entry at all.
 */

/** The scale set fields an instance list is valid for. */
export interface ScaleSetSignature {
  capacity: number;
  sku: string;
  provisioningState: string;
  etag: string;
}

interface Entry<T> {
  /** Monotonic ms when the list was requested. */
  at: number;
  signature: ScaleSetSignature | undefined;
  list: Promise<T>;
}

export interface InstanceListCacheOptions {
  /** How long a list is reused, ms (0: never reused, each observation lists). */
  maxAgeMs?: number;
  maxEntries?: number;
  /** Monotonic ms (tests). */
  now?: () => number;
}

export const DEFAULT_INSTANCE_LIST_MAX_AGE_MS = 1_000;

export class InstanceListCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  /** Orchestration mode per scale set: fixed at creation, so remembered to list beside the scale set read. */
  readonly #modes = new Map<string, 'Uniform' | 'Flexible'>();
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: InstanceListCacheOptions = {}) {
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_INSTANCE_LIST_MAX_AGE_MS;
    this.#maxEntries = options.maxEntries ?? 4096;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The orchestration mode last seen for the scale set, if any. */
  mode(key: string): 'Uniform' | 'Flexible' | undefined {
    return this.#modes.get(key);
  }

  rememberMode(key: string, mode: 'Uniform' | 'Flexible'): void {
    if (this.#modes.size >= this.#maxEntries && !this.#modes.has(key)) this.#modes.clear();
    this.#modes.set(key, mode);
  }

  /** A list requested less than `maxAgeMs` ago, whose scale set read looked like `signature`, if any. */
  reusable(key: string, signature?: ScaleSetSignature): Promise<T> | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (this.#now() - entry.at >= this.#maxAgeMs) {
      this.#entries.delete(key);
      return undefined;
    }
    if (signature && entry.signature && !sameSignature(signature, entry.signature)) return undefined;
    return entry.list;
  }

  /** Whether any list of the scale set is young enough to be worth waiting for its scale set read. */
  fresh(key: string): boolean {
    const entry = this.#entries.get(key);
    return entry !== undefined && this.#now() - entry.at < this.#maxAgeMs;
  }

  /** Keep a list being read (dropped if it fails); `signature` may be set once the scale set read returns. */
  keep(key: string, list: Promise<T>, signature?: ScaleSetSignature): Entry<T> | undefined {
    if (this.#maxAgeMs <= 0) return undefined;
    const entry: Entry<T> = { at: this.#now(), signature, list };
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, entry);
    list.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry;
  }

  /** The scale set read that went with a kept list. */
  sign(entry: Entry<T> | undefined, signature: ScaleSetSignature): void {
    if (entry) entry.signature = signature;
  }

  /** Tide changed the scale set: its next observation lists again. */
  drop(key: string): void {
    this.#entries.delete(key);
  }
}

function sameSignature(a: ScaleSetSignature, b: ScaleSetSignature): boolean {
  return (
    a.capacity === b.capacity && a.sku === b.sku && a.provisioningState === b.provisioningState && a.etag === b.etag
  );
}
