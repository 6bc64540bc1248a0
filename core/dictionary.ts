/**
 * Maps keyed by strings that come from users and providers (metric, alarm, plan, calendar, pool, job and
 * instance names) are null-prototype objects: a plain `{}` answers `constructor`, `toString` or `valueOf`
 * with Object.prototype's functions, and `{}['__proto__'] = x` replaces the prototype instead of adding a key.
 * The schemas parse such maps to null-prototype objects and the core copies them only through these helpers,
 * so a lookup finds only what was put there. They stay plain JSON for the state store.
 */
export type Dict<T> = Record<string, T>;

/** A null-prototype copy of `from` (empty without it). */
export function dict<T>(from?: Readonly<Record<string, T>> | null): Dict<T> {
  const out = Object.create(null) as Dict<T>;
  if (from) for (const key of Object.keys(from)) out[key] = from[key] as T;
  return out;
}

/** A null-prototype map of these entries (Object.fromEntries gives a plain object). */
export function dictFromEntries<T>(entries: Iterable<readonly [string, T]>): Dict<T> {
  const out = Object.create(null) as Dict<T>;
  for (const [key, value] of entries) out[key] = value;
  return out;
}

/** A copy of `from` with `key` set to `value`. */
export function withEntry<T>(from: Readonly<Record<string, T>>, key: string, value: NoInfer<T>): Dict<T> {
  const out = dict(from);
  out[key] = value;
  return out;
}

/** The value `from` holds under `key` itself, never one inherited from a prototype. */
export function own<T>(from: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(from, key) ? from[key] : undefined;
}
