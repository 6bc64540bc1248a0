import { coerce, object, string, url, type infer as Infer } from 'zod';
import { parseDocument, ValidationError } from '../../core/errors.ts';
import { DEFAULT_STATE_OPTIONS as D, type StateStoreOptions } from './options.ts';

const int = (min: number, max: number, fallback: number) => coerce.number().int().min(min).max(max).default(fallback);

/**
 * The state layer's environment. Upstash when both `UPSTASH_REDIS_REST_URL` and `UPSTASH_REDIS_REST_TOKEN`
 * are set, else TCP Redis when `REDIS_URL` is set (`redis://` or `rediss://` for TLS), else memory.
 */
export const StateEnvSchema = object({
  UPSTASH_REDIS_REST_URL: url({ protocol: /^https?$/ }).optional(),
  UPSTASH_REDIS_REST_TOKEN: string().min(1).optional(),
  REDIS_URL: url({ protocol: /^rediss?$/ }).optional(),
  /** Deployment name, the key namespace: letters, digits, ".", "_", "-". */
  TIDE_DEPLOYMENT: string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1-64 letters, digits, ".", "_" or "-"' })
    .default(D.namespace),
  /** Milliseconds per attempt. */
  TIDE_STATE_TIMEOUT_MS: int(10, 60_000, D.timeoutMs),
  TIDE_STATE_RETRIES: int(0, 10, D.retries),
  TIDE_EVENT_TTL_SECONDS: int(60, 30 * 86400, D.eventTtlSeconds),
  TIDE_STATE_TTL_SECONDS: int(3600, 365 * 86400, D.stateTtlSeconds),
  TIDE_AUDIT_MAX_ENTRIES: int(10, 1_000_000, D.auditMaxEntries),
  TIDE_AUDIT_MAX_AGE_SECONDS: int(60, 365 * 86400, D.auditMaxAgeSeconds),
  TIDE_MAX_TARGETS: int(1, 1_000_000, D.maxTargets),
}).superRefine((env, ctx) => {
  if ((env.UPSTASH_REDIS_REST_URL === undefined) !== (env.UPSTASH_REDIS_REST_TOKEN === undefined)) {
    const missing = env.UPSTASH_REDIS_REST_URL === undefined ? 'UPSTASH_REDIS_REST_URL' : 'UPSTASH_REDIS_REST_TOKEN';
    ctx.addIssue({
      code: 'custom',
      path: [missing],
      message: 'set both UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or neither',
      input: undefined,
    });
  }
});
export type StateEnv = Infer<typeof StateEnvSchema>;

/** Where a URL's `user:password` sits in `text` (well-formed or not), by string search only. */
function credentialsSpan(text: string): { start: number; end: number } | undefined {
  const scheme = text.indexOf('://');
  const start = scheme < 0 ? 0 : scheme + 3;
  let end = text.length;
  for (const stop of ['/', '?', '#']) {
    const at = text.indexOf(stop, start);
    if (at >= 0 && at < end) end = at;
  }
  const at = text.lastIndexOf('@', end - 1);
  return at < start ? undefined : { start, end: at };
}

/** The `user:password` of a URL, or undefined; works on malformed URLs (what an error message quotes). */
export function urlCredentials(text: string): string | undefined {
  const span = credentialsSpan(text);
  return span && span.end > span.start ? text.slice(span.start, span.end) : undefined;
}

/** `scheme://user:password@host/…` → `scheme://[redacted]@host/…`. */
export function redactUrlCredentials(text: string): string {
  const span = credentialsSpan(text);
  return span ? `${text.slice(0, span.start)}[redacted]${text.slice(span.end)}` : text;
}

/** Variables whose values carry credentials, and how to quote them in an error. */
const SECRET_VARIABLES: Record<string, (value: string) => string> = {
  REDIS_URL: redactUrlCredentials,
  UPSTASH_REDIS_REST_URL: redactUrlCredentials,
  UPSTASH_REDIS_REST_TOKEN: () => '[redacted]',
};

export type StateBackend =
  | { kind: 'upstash'; url: string; token: string }
  | { kind: 'redis'; url: string }
  | { kind: 'memory' };

export interface StateConfig {
  backend: StateBackend;
  options: StateStoreOptions;
}

/** Read the state configuration from the environment; throws `ValidationError` naming every bad variable. */
export function stateConfigFromEnv(env: Record<string, string | undefined>): StateConfig {
  // An empty variable counts as unset (deployment templates often render missing values as "").
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = parseDocument(StateEnvSchema, present, 'state environment');
  if (!result.ok) {
    // The message quotes what it got; a URL's credentials and the token must not reach a log with it.
    const problems = result.error.problems.map((problem) => {
      const variable = problem.path.split('.')[0] ?? '';
      if (!(variable in SECRET_VARIABLES)) return problem;
      return { ...problem, received: SECRET_VARIABLES[variable]!(String(problem.received ?? '')) };
    });
    throw new ValidationError(result.error.documentName, problems);
  }
  const e = result.value;
  const backend: StateBackend =
    e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN
      ? { kind: 'upstash', url: e.UPSTASH_REDIS_REST_URL, token: e.UPSTASH_REDIS_REST_TOKEN }
      : e.REDIS_URL
        ? { kind: 'redis', url: e.REDIS_URL }
        : { kind: 'memory' };
  return {
    backend,
    options: {
      ...D,
      namespace: e.TIDE_DEPLOYMENT,
      timeoutMs: e.TIDE_STATE_TIMEOUT_MS,
      retries: e.TIDE_STATE_RETRIES,
      eventTtlSeconds: e.TIDE_EVENT_TTL_SECONDS,
      stateTtlSeconds: e.TIDE_STATE_TTL_SECONDS,
      auditMaxEntries: e.TIDE_AUDIT_MAX_ENTRIES,
      auditMaxAgeSeconds: e.TIDE_AUDIT_MAX_AGE_SECONDS,
      maxTargets: e.TIDE_MAX_TARGETS,
    },
  };
}
