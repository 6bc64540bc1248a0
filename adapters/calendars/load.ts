/**
 * Loads the exchanges' rules and hands them to core (core/calendars/index.ts) once per process. The shell and the
 * API's dry run call it before deciding for a policy that names an exchange (`needsExchangeCalendars`), so
 * core/calendars/rules.ts is a chunk of its own that a function whose policies name none never loads (issue 18:
 * about 11 KB of every function's start-up bundle); the CLI, the console's simulation worker, the benches and the
 * tests' setup call it at start.
 */
import { exchangeRulesProvided, provideExchangeRules } from '../../core/calendars/index.ts';
import { atFirstUse } from '../at-first-use.ts';
import type { Policy } from '../../core/schema/policy.ts';

/**
 * The exchanges' rules could not be loaded (a chunk missing or failing to evaluate): retryable, so a delivery is
 * made again (and a dry run answered 503), never read as a bad payload; the next call loads again.
 */
export class ExchangeCalendarsLoadError extends Error {
  override readonly name = 'ExchangeCalendarsLoadError';
  readonly retryable = true;
  constructor(cause: unknown) {
    super(
      `the exchanges' rules could not be loaded (${cause instanceof Error ? cause.message : String(cause)}); deliver again`,
      { cause },
    );
  }
}

const load = atFirstUse(() =>
  import('../../core/calendars/rules.ts').then(
    ({ EXCHANGE_RULES }) => provideExchangeRules(EXCHANGE_RULES),
    (error: unknown) => {
      throw new ExchangeCalendarsLoadError(error);
    },
  ),
);

/** Load the exchanges' rules (once) and hand them to core; a failed load is tried again by the next call. */
export function loadExchangeCalendars(): Promise<void> {
  return exchangeRulesProvided() ? Promise.resolve() : load();
}

/**
 * Whether deciding for `policy` needs the exchanges' rules not loaded yet: one of its plans follows an exchange's
 * session, or excludes a calendar that is not one of the policy's own (so a built-in one: an exchange's). After the
 * load, one boolean; before it, a look at the plans (most policies have none or a few).
 */
export function needsExchangeCalendars(policy: Pick<Policy, 'schedules' | 'calendars'>): boolean {
  if (exchangeRulesProvided()) return false;
  for (const plan of policy.schedules) {
    if (plan.session) return true;
    for (const name of plan.excludeCalendars) if (!Object.hasOwn(policy.calendars, name)) return true;
  }
  return false;
}
