/**
 * Loads croner and hands it to core (core/cron.ts) once per process. The cloud functions call it when a
 * document they read has a cron line (`needsCron`), so croner is a chunk of its own that a function whose
 * policies have no schedules never loads (issue 18: bundle and cold start); the CLI, `tide serve`, the
 * benches and the tests' setup call it at start.
 */
import { cronProvided, provideCron } from '../../core/cron.ts';

let loading: Promise<void> | undefined;

/** Load croner (once) and hand it to core. */
export function loadCron(): Promise<void> {
  if (cronProvided()) return Promise.resolve();
  loading ??= import('croner').then(({ Cron }) => provideCron(Cron));
  return loading;
}

/**
 * Whether a stored policy's JSON text has a cron line: a schedule (`schedules[]`, whose `start` and `end` are
 * cron) that is not empty. Stored policies are written with their defaults filled in, as `JSON.stringify`
 * writes them, so a policy without schedules says `"schedules":[]`; anything else (a hand-written document,
 * other spacing) counts as having one, which at worst loads croner once for nothing.
 */
export function needsCron(policyJson: string | null | undefined): boolean {
  if (!policyJson || cronProvided()) return false;
  return !policyJson.includes('"schedules":[]');
}
