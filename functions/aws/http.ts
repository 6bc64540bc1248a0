/**
 * The HTTP API on AWS Lambda behind an API Gateway HTTP API (serverless.yml: `functions/aws/http.handler`):
 * the same hono app `tide serve` runs, through `hono/aws-lambda`. The runtime (state store, shell, ingest,
 * actuators for TIDE_MODE) is the events function's; the access store sits beside it in the same Redis.
 * Keys are made with `tide keys create` against that store (or `TIDE_ADMIN_KEY`, a bootstrap admin key).
 */
import { handle } from 'hono/aws-lambda';
import { createAwsClients } from '../../adapters/aws/clients.ts';
import { createLazyAwsActuatorFactory } from '../../adapters/aws/lazy.ts';
import { createSenderAuth, senderAuthOptionsFromEnv } from '../../adapters/auth/index.ts';
import { createAccessStore, stateConfigFromEnv } from '../../adapters/state/index.ts';
import type { AccessStore } from '../../adapters/ports/access-store.ts';
import { bootstrapRecord } from '../http/api-keys.ts';
import { createApiApp } from '../http/app.ts';
import { apiOptionsFromEnv } from '../http/context.ts';
import { createApiMetrics } from '../http/metrics.ts';
import type { AwsProviderDeps } from './handler.ts';
import { lazyDecide } from '../shell/decider.ts';
import { createRuntimeWith, type Runtime, type RuntimeOverrides } from '../shell/runtime-base.ts';
import { AWS_API_SOURCES } from './lazy-sources.ts';

/** Overrides for tests (a store built elsewhere, captured log lines, the AWS clients). */
export interface HttpHandlerOverrides extends Partial<RuntimeOverrides> {
  access?: AccessStore;
  aws?: AwsProviderDeps;
}

/**
 * The AWS adapters of the API function, as the events function carries them (loaded at a target's first
 * action): acting and dry-run need them (the dry-run route, a target's status), and so does a deletion,
 * which gives back the Application Auto Scaling target Tide suspended.
 */
function defaultAws(env: Record<string, string | undefined>, logger: () => Runtime['logger'] | undefined) {
  const clients = createAwsClients();
  return {
    clients,
    env,
    actuatorOf: createLazyAwsActuatorFactory({
      env,
      clients,
      logger: {
        info: (message, fields) => logger()?.info(message, fields),
        warn: (message, fields) => logger()?.warn(message, fields),
      },
    }),
  };
}

/** In act mode: restore what Tide suspended on a deleted AWS target (adapters/aws releaseAwsTarget). */
function releasedOnAws(runtime: Runtime, aws: AwsProviderDeps) {
  return async (target: Parameters<typeof import('../../adapters/aws/index.ts').releaseAwsTarget>[0]) => {
    if (target.provider !== 'aws') return;
    const { releaseAwsTarget } = await import('../../adapters/aws/index.ts');
    const released = await releaseAwsTarget(target, {
      env: aws.env,
      clients: aws.clients,
      now: () => runtime.clock.now(),
      logger: { info: (m, f) => runtime.logger.info(m, f), warn: (m, f) => runtime.logger.warn(m, f) },
    });
    if (released)
      runtime.logger.info('target deleted: Application Auto Scaling given back', { targetId: target.id, ...released });
  };
}

/** Build the Lambda handler for `env`; the app is built at the first invocation and kept while warm. */
export function createHttpHandler(env: Record<string, string | undefined>, overrides: HttpHandlerOverrides = {}) {
  let built: Promise<ReturnType<typeof handle>> | undefined;
  let runtime: Runtime | undefined;
  const aws = overrides.aws ?? defaultAws(env, () => runtime?.logger);
  // The decision core is loaded by the first request that decides (a webhook, a dry run, an override): most of
  // the API's requests read and write documents, status and keys, and never decide (issue 18: about 85 KB of
  // the start-up bundle).
  const decide = lazyDecide(async () => (await import('../../core/decide.ts')).decide);
  const build = async () => {
    const rt = createRuntimeWith(decide, env, {
      eventSources: AWS_API_SOURCES,
      providers: { aws: aws.actuatorOf },
      ...overrides,
    });
    runtime = rt;
    const access = overrides.access ?? createAccessStore(stateConfigFromEnv(env), {}, rt.store);
    if (env.TIDE_ADMIN_KEY) {
      const record = bootstrapRecord(env.TIDE_ADMIN_KEY, rt.clock.now());
      if (record) await access.createKey(record);
      else rt.logger.error('TIDE_ADMIN_KEY is not a key made by tide keys create: ignored', {});
    }
    const app = createApiApp({
      store: rt.store,
      access,
      shell: rt.shell,
      ingest: rt.ingest,
      observe: (target) => rt.actuators(target).readCapacity(target.id),
      decide,
      clock: rt.clock,
      logger: rt.logger,
      metrics: createApiMetrics(),
      senders: createSenderAuth({ ...senderAuthOptionsFromEnv(env), logger: rt.logger }),
      options: apiOptionsFromEnv(env),
      ...(rt.mode === 'act' ? { released: releasedOnAws(rt, aws) } : {}),
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
