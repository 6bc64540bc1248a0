/**
 * `make` at the first call, the one promise shared by every caller; a failed load is that call's error and
 * the next call tries again (a failed dynamic import is not kept). For what a cold start defers: the sender
 * checks (auth/index.ts), the memory stores (state/lazy-memory.ts), the webhooks' parsers (events/registry.ts),
 * the exchanges' rules (calendars/load.ts) and the AWS HTTP API's decision core (functions/shell/decider.ts).
 */
export function atFirstUse<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () =>
    (made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    }));
}
