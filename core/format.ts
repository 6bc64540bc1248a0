/** Small formatting helpers for reasons. Pure. */

/** Milliseconds as whole seconds, e.g. `240 s`. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/** A number without float noise: 0.30000000000000004 -> 0.3, 87.123456 -> 87.12. */
export function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** `1 replica`, `3 replicas`. */
export function replicas(count: number): string {
  return `${count} ${count === 1 ? 'replica' : 'replicas'}`;
}

/** ceil that ignores float noise: ceil(0.7 × 10) is 7, not 8. */
export function ceilCount(value: number): number {
  // Math.ceil(−1e-9) is −0, which JSON turns into 0: memory would not round-trip. `+ 0` makes it +0.
  return Math.ceil(value - 1e-9) + 0;
}

/**
 * An instant in ISO-8601 for a reason. Timestamps are validated as instants, but a sum of one and a duration
 * could still leave the Date range: then the number is shown, never a RangeError thrown from a reason.
 */
export function isoTime(ms: number): string {
  const at = new Date(ms);
  return Number.isNaN(at.getTime()) ? `${ms} ms` : at.toISOString();
}
