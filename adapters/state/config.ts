import { coerce, object, string, url, type infer as Infer } from 'zod';
import { parseDocument } from '../../core/errors.ts';
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
  if (!result.ok) throw result.error;
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
