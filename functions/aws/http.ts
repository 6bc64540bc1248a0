/**
 * The HTTP API on AWS Lambda behind an API Gateway HTTP API (serverless.yml: `functions/aws/http.handler`):
 * the same hono app `tide serve` runs, through `hono/aws-lambda`. The runtime (state store, shell, ingest,
 * actuators for TIDE_MODE) is the events function's; the access store sits beside it in the same Redis.
 * Keys are made with `tide keys create` against that store (or `TIDE_ADMIN_KEY`, a bootstrap admin key).
 */
import { handle } from 'hono/aws-lambda';
import { createSenderAuth, senderAuthOptionsFromEnv } from '../../adapters/auth/index.ts';
import { createAccessStore, stateConfigFromEnv } from '../../adapters/state/index.ts';
import type { AccessStore } from '../../adapters/ports/access-store.ts';
import { decide } from '../../core/decide.ts';
import { bootstrapRecord } from '../http/api-keys.ts';
import { createApiApp } from '../http/app.ts';
import { createApiMetrics } from '../http/metrics.ts';
import { createRuntime, type RuntimeOverrides } from '../shell/runtime.ts';
import { AWS_FUNCTION_SOURCES } from './sources.ts';

/** Overrides for tests (a store built elsewhere, captured log lines). */
export interface HttpHandlerOverrides extends Partial<RuntimeOverrides> {
  access?: AccessStore;
}

/** Build the Lambda handler for `env`; the app is built at the first invocation and kept while warm. */
export function createHttpHandler(env: Record<string, string | undefined>, overrides: HttpHandlerOverrides = {}) {
  let built: Promise<ReturnType<typeof handle>> | undefined;
  const build = async () => {
    const runtime = createRuntime(env, { eventSources: AWS_FUNCTION_SOURCES, ...overrides });
    const access = overrides.access ?? createAccessStore(stateConfigFromEnv(env), {}, runtime.store);
    if (env.TIDE_ADMIN_KEY) {
      const record = bootstrapRecord(env.TIDE_ADMIN_KEY, runtime.clock.now());
      if (record) await access.createKey(record);
      else runtime.logger.error('TIDE_ADMIN_KEY is not a key made by tide keys create: ignored', {});
    }
    const app = createApiApp({
      store: runtime.store,
      access,
      shell: runtime.shell,
      ingest: runtime.ingest,
      observe: (target) => runtime.actuators(target).readCapacity(target.id),
      decide,
      clock: runtime.clock,
      logger: runtime.logger,
      metrics: createApiMetrics(),
      senders: createSenderAuth({ ...senderAuthOptionsFromEnv(env), logger: runtime.logger }),
    });
    return handle(app);
  };
  return async (event: Parameters<ReturnType<typeof handle>>[0], context: Parameters<ReturnType<typeof handle>>[1]) => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return (await built)(event, context);
  };
}

/** The Lambda entry point. */
export const handler = createHttpHandler(process.env);
