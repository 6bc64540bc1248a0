/**
 * Loads the exchanges' rules and hands them to core (core/calendars/index.ts) once per process. The shell and the
 * API's dry run call it before deciding for a policy that names an exchange (`needsExchangeCalendars`), so
 * core/calendars/rules.ts is a chunk of its own that a function whose policies name none never loads (issue 18:
 * about 11 KB of every function's start-up bundle); the CLI, the console's simulation worker, the benches and the
 * tests' setup call it at start.
 */
import { exchangeRulesProvided, provideExchangeRules } from '../../core/calendars/index.ts';
import type { Policy } from '../../core/schema/policy.ts';

let loading: Promise<void> | undefined;

/** Load the exchanges' rules (once) and hand them to core; a failed load is tried again by the next call. */
export function loadExchangeCalendars(): Promise<void> {
  if (exchangeRulesProvided()) return Promise.resolve();
  loading ??= import('../../core/calendars/rules.ts').then(
    ({ EXCHANGE_RULES }) => provideExchangeRules(EXCHANGE_RULES),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
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
