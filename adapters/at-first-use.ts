/**
 * `make` at the first call, the one promise shared by every caller; a failed load is that call's error and
 * the next call tries again (a failed dynamic import is not kept). For what a cold start defers: the sender
 * checks (auth/index.ts) and the memory stores (state/lazy-memory.ts).
 */
export function atFirstUse<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () =>
    (made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    }));
}
