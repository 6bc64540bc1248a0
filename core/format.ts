/** Small formatting helpers for reasons. Pure. */

/** Milliseconds as whole seconds, e.g. `240 s`. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/** A number without float noise: 0.30000000000000004 -> 0.3, 87.123456 -> 87.12. */
export function num(value: number): string {
  const hundredths = Math.round(value * 100);
  // Reasons print several of these per decision, and String() of a fraction runs the shortest-round-trip
  // algorithm (about 90 ns). Below 10^12 (doubles 2^-12 apart or closer) hundredths / 100 lies within
  // 0.0002 of the decimal with those two digits, and every other decimal of two digits or fewer is 0.01
  // away: that decimal is the shortest that reads back as the double, the text String() gives, spelled out
  // here from integers. Whole numbers, larger ones, NaN and ±Infinity take String() itself.
  if (hundredths % 100 === 0 || !(Math.abs(hundredths) < 1e14)) return String(hundredths / 100);
  const magnitude = Math.abs(hundredths);
  const whole = Math.floor(magnitude / 100);
  const cents = magnitude - whole * 100;
  const fraction = cents < 10 ? `0${cents}` : cents % 10 === 0 ? `${cents / 10}` : `${cents}`;
  return `${hundredths < 0 ? '-' : ''}${whole}.${fraction}`;
}

/**
 * `value.toFixed(2)`, the same text, without its exact decimal expansion (about 60 ns) on the common path:
 * toFixed picks the n nearest value × 100 (the larger on a tie) from the double's exact value. Below 2^31
 * the product value × 100 is off that exact value by less than 2^-22 (half a unit in the last place), so
 * Math.round gives the same n unless the product lies within 1e-6 of a half: those, and negative, huge or
 * non-finite values, take toFixed itself.
 */
export function fixed2(value: number): string {
  const hundredths = value * 100;
  if (!(hundredths >= 0 && hundredths < 2_147_483_648)) return value.toFixed(2);
  const below = Math.floor(hundredths);
  if (Math.abs(hundredths - below - 0.5) < 1e-6) return value.toFixed(2);
  const n = hundredths - below > 0.5 ? below + 1 : below;
  const whole = Math.floor(n / 100);
  const cents = n - whole * 100;
  return `${whole}.${cents < 10 ? `0${cents}` : cents}`;
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
  // Whole milliseconds from 1970 to 9999 (every instant a decision sees) are spelled out from integers: a
  // Date and its toISOString() cost about 0.5 µs, and reasons on the training path print several per decision.
  if (Number.isInteger(ms) && ms >= 0 && ms <= LAST_FOUR_DIGIT_YEAR_MS) return isoFromEpochMs(ms);
  const at = new Date(ms);
  return Number.isNaN(at.getTime()) ? `${ms} ms` : at.toISOString();
}

/** 9999-12-31T23:59:59.999Z: past it, toISOString() writes a six-digit year with a sign. */
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999;
const DAY_MS = 86_400_000;

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/**
 * What `new Date(ms).toISOString()` gives for whole `ms` in [0, {@link LAST_FOUR_DIGIT_YEAR_MS}]: the civil
 * date from the day count (H. Hinnant's days-to-civil, proleptic Gregorian, eras of 400 years = 146,097 days).
 */
function isoFromEpochMs(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const z = days + 719_468; // days since 0000-03-01
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const secs = Math.floor(rest / 1000);
  const millis = rest - secs * 1000;
  const yyyy = year < 1000 ? `000${year}`.slice(-4) : `${year}`;
  const sss = millis < 10 ? `00${millis}` : millis < 100 ? `0${millis}` : `${millis}`;
  return `${yyyy}-${two(month)}-${two(day)}T${two(hours)}:${two(minutes)}:${two(secs)}.${sss}Z`;
}
