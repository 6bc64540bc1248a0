/**
 * What a cloud function needs, built once per cold start from the environment: the logger, the state
 * store, the actuator for the mode, the shell and the ingest function. Every runtime adapter
 * (functions/aws, later GCP and Azure) calls {@link createRuntime} once and reuses the result while warm.
 */
import { enum as zenum, object, type infer as Infer } from 'zod';
import { decide } from '../../core/decide.ts';
import { parseDocument } from '../../core/errors.ts';
import { createShadowActuator, type ShadowOptions } from '../../adapters/shadow/index.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';
import { createStateStoreFromEnv } from '../../adapters/state/index.ts';
import { createIngest, type Ingest, type IngestOptions } from './ingest.ts';
import { systemClock, type Clock } from '../../adapters/ports/clock.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import { createShell, type Shell } from './shell.ts';

/** The modes Tide runs in. Only `shadow` exists until the cloud actuators land. */
export const TIDE_MODES = ['shadow'] as const;

/** The runtime's own environment (the state store's is validated by adapters/state/config.ts). */
export const RuntimeEnvSchema = object({
  /** `shadow`: decide on real events, act on nothing. Required, so no deployment acts by accident. */
  TIDE_MODE: zenum(TIDE_MODES),
});
export type RuntimeEnv = Infer<typeof RuntimeEnvSchema>;

/** A configuration error at start: the message names the variable and the value it got. */
export class RuntimeConfigError extends Error {
  override readonly name = 'RuntimeConfigError';
  /** A bad deployment does not get better by redelivering events. */
  readonly retryable = false;
}

/** Everything built at a cold start. */
export interface Runtime {
  mode: RuntimeEnv['TIDE_MODE'];
  logger: Logger;
  store: StateStore;
  shell: Shell;
  ingest: Ingest;
  clock: Clock;
}

/** Overrides for tests and for embedding (a store built elsewhere, a fixed clock, captured log lines). */
export interface RuntimeOverrides {
  store?: StateStore;
  clock?: Clock;
  /** Where log lines go; default `console.log` (one JSON object per line: CloudWatch Logs parses it). */
  write?: (line: string) => void;
  ingest?: Partial<IngestOptions>;
  shadow?: Partial<ShadowOptions>;
}

/**
 * Validate the environment and build the dependencies. Throws {@link RuntimeConfigError} on a bad
 * `TIDE_MODE`, and the state layer's `ValidationError` on a bad state variable, both naming the value.
 */
export function createRuntime(env: Record<string, string | undefined>, overrides: RuntimeOverrides = {}): Runtime {
  const logger = createJsonLogger({ write: overrides.write ?? ((line) => console.log(line)), secrets: secretsOf(env) });
  const mode = env.TIDE_MODE;
  if (mode === undefined || mode === '') {
    throw new RuntimeConfigError(`TIDE_MODE is required; expected one of ${TIDE_MODES.join(', ')}, was: unset`);
  }
  const parsed = parseDocument(RuntimeEnvSchema, { TIDE_MODE: mode }, 'runtime environment');
  if (!parsed.ok) {
    throw new RuntimeConfigError(
      `TIDE_MODE must be one of ${TIDE_MODES.join(', ')} (only shadow mode exists until the cloud actuators land), was: ${JSON.stringify(mode)}`,
    );
  }
  const clock = overrides.clock ?? systemClock;
  const store = overrides.store ?? createStateStoreFromEnv(env, logger);
  const shadow = createShadowActuator({
    store,
    clock,
    logger,
    ...(overrides.shadow ? { options: overrides.shadow } : {}),
  });
  const shell = createShell({ store, decide, observe: shadow.observe, act: shadow.act, clock, logger });
  const ingest = createIngest({
    store,
    shell,
    clock,
    logger,
    ...(overrides.ingest ? { options: overrides.ingest } : {}),
  });
  logger.info('tide runtime ready', { mode: parsed.value.TIDE_MODE, store: store.kind });
  return { mode: parsed.value.TIDE_MODE, logger, store, shell, ingest, clock };
}

/** Values that must never reach a log line: the Upstash token and a Redis URL's password. */
function secretsOf(env: Record<string, string | undefined>): string[] {
  const secrets: string[] = [];
  if (env.UPSTASH_REDIS_REST_TOKEN) secrets.push(env.UPSTASH_REDIS_REST_TOKEN);
  if (env.REDIS_URL) {
    try {
      const password = new URL(env.REDIS_URL).password;
      if (password) secrets.push(password, decodeURIComponent(password));
    } catch {
      // Not a URL: the state config rejects it with its own message (which names the variable, not the value's password).
    }
  }
  return secrets.filter((secret) => secret.length >= 4);
}

/** Field names whose values are dropped whatever they hold. */
const SECRET_FIELD = /token|secret|password|authorization|credential/i;

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  write: (line: string) => void;
  /** Exact values to replace with `[redacted]` wherever they appear (messages, nested fields, error text). */
  secrets?: readonly string[];
}

/**
 * A logger writing one JSON object per line (`level`, `time`, `message`, fields). Secrets never print:
 * fields named like a secret are dropped, and known secret values are replaced wherever they appear,
 * since an error message from a client library may quote a URL or a header.
 */
export function createJsonLogger(options: JsonLoggerOptions): Logger {
  // As they appear inside JSON text too (a quote or backslash in a secret is escaped there).
  const secrets = [
    ...new Set((options.secrets ?? []).flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)])),
  ].sort((a, b) => b.length - a.length);
  const scrub = (text: string): string => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  const line = (level: string, message: string, fields?: Record<string, unknown>) => {
    const json = JSON.stringify(
      { level, time: new Date().toISOString(), message, ...fields },
      (key, value: unknown) => {
        if (key !== '' && SECRET_FIELD.test(key)) return '[redacted]';
        if (value instanceof Error) return { name: value.name, message: value.message };
        return value;
      },
    );
    options.write(scrub(json));
  };
  return {
    info: (message, fields) => line('info', message, fields),
    warn: (message, fields) => line('warn', message, fields),
    error: (message, fields) => line('error', message, fields),
  };
}
