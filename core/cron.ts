/**
 * Cron lines, read with croner (no dependencies: time zones through `Intl`, so no date library rides along
 * in every function bundle; issue 18). Five fields, or six with seconds first. Day of month and day of week,
 * both restricted, match either (Vixie cron's rule). Daylight saving time as Vixie cron handles it: a time
 * that falls in a spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00) fires at the first
 * valid time after the gap, 03:00; a time that occurs twice in the fall fires once. Stepped fields (every
 * second hour, `0 0-23/2 * * *`) skip the hour that does not exist. Pure: every instant comes from the caller.
 *
 * croner is handed in, not imported (issue 18): a cloud function loads it when it first reads a document
 * with a cron line (adapters/cron/load.ts), so the functions whose policies have no schedules never load its
 * 33 KB. Every program that reads documents (the CLI, `tide serve`, the benches, the tests' setup) calls
 * `loadCron()` once before; a cron line read before that is a {@link CronNotLoadedError}, never a silent miss.
 */
import type { Cron } from 'croner';

const OPTIONS = { mode: '5-or-6-parts' } as const;

let CronClass: typeof Cron | undefined;

/** croner's `Cron` class, for every function below (adapters/cron/load.ts hands it in; once is enough). */
export function provideCron(cron: typeof Cron): void {
  CronClass = cron;
}

/** Whether croner has been handed in. */
export function cronProvided(): boolean {
  return CronClass !== undefined;
}

/** A cron line was read before croner was loaded: the program's start (or the store's read) misses `loadCron()`. */
export class CronNotLoadedError extends Error {
  override readonly name = 'CronNotLoadedError';
  constructor(expression: string) {
    super(`cron line "${expression}" read before croner was loaded: await loadCron() (adapters/cron/load.ts) first`);
  }
}

function newCron(expression: string, timezone: string): Cron {
  if (CronClass === undefined) throw new CronNotLoadedError(expression);
  return new CronClass(expression, { ...OPTIONS, timezone });
}

/** Why `expression` is not a usable cron line, or undefined when it is. */
export function cronProblem(expression: string): string | undefined {
  // `H` (a hashed, per-job value in Jenkins-style cron) is not deterministic input for a decision core.
  if (/\bH\b/.test(expression)) return 'the randomized "H" field is not allowed';
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return `expected 5 fields (or 6 with seconds), got ${fields.length}`;
  let cron: Cron;
  try {
    cron = newCron(expression, 'UTC');
  } catch (error) {
    if (error instanceof CronNotLoadedError) throw error;
    return (error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, '');
  }
  // A line that never matches (`0 0 30 2 *`, February 30) would never open a window.
  if (cron.nextRun(new Date(0)) === null) return 'it matches no date';
  return undefined;
}

/** The occurrences of a valid cron line in `timeZone`, strictly after `fromExclusive`, in order; undefined past the last. */
export function cronOccurrences(
  expression: string,
  timeZone: string,
  fromExclusive: number,
): { next(): number | undefined } {
  const cron = newCron(expression, timeZone);
  let previous: Date | null = new Date(fromExclusive);
  return {
    next() {
      if (previous === null) return undefined;
      previous = cron.nextRun(previous);
      return previous?.getTime();
    },
  };
}

/**
 * A valid cron line in `timeZone`, searched both ways: `after(t)` is the first occurrence strictly after t,
 * `atOrBefore(t)` the last one at or before t (undefined when there is none). Each is one search of the
 * calendar, whatever the time between occurrences, so a caller finds the occurrence around an instant
 * without walking the ones before it.
 */
export function cronSchedule(
  expression: string,
  timeZone: string,
): { after(at: number): number | undefined; atOrBefore(at: number): number | undefined } {
  const cron = newCron(expression, timeZone);
  return {
    after: (at) => cron.nextRun(new Date(at))?.getTime(),
    atOrBefore: (at) => {
      // croner counts a run earlier in the same second as the reference as before it: step back from the
      // end of `at`'s millisecond, then drop a run later in that second.
      const [run] = cron.previousRuns(1, new Date(at + 1));
      const time = run?.getTime();
      return time !== undefined && time <= at ? time : undefined;
    },
  };
}
