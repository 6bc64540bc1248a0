/**
 * The signals of one target's Prometheus metrics (`targetTracking[].prometheus`) at one tick, for every
 * runtime's tick (`tide serve`, the AWS, Google Cloud and Azure functions): each rule's instant query runs
 * (a timeout per attempt, three attempts at most, the policy's credentials from the environment), and its
 * value becomes a `metric` signal for the rule's metric; an empty or failed result, or a credential whose
 * variable is not set, becomes a `metric-failure`, which counts toward the missing-metrics fallback.
 * Never throws: a Prometheus that is down is a missing sample, not a failed tick.
 */
import type { Policy, PrometheusAuth } from '../../core/schema/policy.ts';
import type { Signal } from '../../core/schema/signal.ts';
import type { Logger } from '../ports/logger.ts';
import { prometheusInstantQuery } from './instant-query.ts';

export interface PrometheusReadOptions {
  /** Where the credentials' variables are read (the runtime's environment). */
  env: Record<string, string | undefined>;
  logger: Logger;
  fetch?: typeof fetch;
  /** Queries of one target run at once, at most (default 4). */
  concurrency?: number;
  /** Delay before the second attempt, ms (default 250, doubled after); tests shorten it. */
  backoffMs?: number;
}

/** True when the policy reads any metric from Prometheus (no query, no cost, for the others). */
export function readsPrometheus(policy: Policy | undefined | null): boolean {
  return policy?.targetTracking.some((rule) => rule.prometheus !== undefined) ?? false;
}

/**
 * The `Authorization` header for `auth`, or why there is none. The variables' values are secrets: the
 * reason names the variable only.
 */
export function authorizationOf(
  auth: PrometheusAuth | undefined,
  env: Record<string, string | undefined>,
): { ok: true; header: string | undefined } | { ok: false; error: string } {
  if (!auth) return { ok: true, header: undefined };
  const names = auth.type === 'basic' ? [auth.usernameEnv, auth.passwordEnv] : [auth.tokenEnv];
  const unset = names.filter((name) => !env[name]);
  if (unset.length > 0)
    return { ok: false, error: `the credential variable ${unset.join(' and ')} is not set in this runtime` };
  if (auth.type === 'bearer') return { ok: true, header: `Bearer ${env[auth.tokenEnv]}` };
  const pair = `${env[auth.usernameEnv]}:${env[auth.passwordEnv]}`;
  return { ok: true, header: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}` };
}

/**
 * One signal per Prometheus rule of `policy`, observed at `now`; `eventIdOf(metric)` names each (the
 * tick's id and the metric, so a redelivered tick is not counted twice).
 */
export async function prometheusSignals(
  targetId: string,
  policy: Policy | undefined | null,
  now: number,
  eventIdOf: (metric: string) => string,
  options: PrometheusReadOptions,
): Promise<Signal[]> {
  const rules = (policy?.targetTracking ?? []).flatMap((rule) =>
    rule.prometheus ? [{ metric: rule.metric, source: rule.prometheus }] : [],
  );
  return runBounded(
    rules.map(({ metric, source }) => async (): Promise<Signal> => {
      const eventId = eventIdOf(metric);
      const auth = authorizationOf(source.auth, options.env);
      const result = auth.ok
        ? await prometheusInstantQuery(source.server, source.query, {
            timeoutMs: source.timeoutSeconds * 1000,
            ...(auth.header ? { authorization: auth.header } : {}),
            ...(options.fetch ? { fetch: options.fetch } : {}),
            ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
          })
        : auth;
      if (result.ok)
        return { kind: 'metric', metric, value: result.value, source: 'prometheus', observedAt: now, eventId };
      options.logger.warn('prometheus: no sample', { targetId, metric, error: result.error });
      return { kind: 'metric-failure', metric, error: result.error, source: 'prometheus', observedAt: now, eventId };
    }),
    options.concurrency ?? 4,
  );
}

/** Run `jobs`, at most `concurrency` at once, results in the jobs' order. */
export async function runBounded<T>(jobs: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), jobs.length) }, worker));
  return results;
}
