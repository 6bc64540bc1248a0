/**
 * The HTTP front door: one hono app that every runtime serves (`@hono/node-server` in `tide serve`,
 * `hono/aws-lambda` behind API Gateway, the GCP and Azure HTTP triggers). Routes are declared in
 * `@hono/zod-openapi`'s shape from the documents' schemas and validated with them (api-app.ts); the OpenAPI
 * document is generated from the same declarations at build time (openapi-document.ts). `/` is left free for
 * a console to be mounted on.
 */
import { ApiApp } from './api-app.ts';
import { cronProvided } from '../../core/cron.ts';
import { loadCron } from '../../adapters/cron/load.ts';
import { bodyLimit } from './body-limit.ts';
import { DEFAULT_API_OPTIONS, type ApiDependencies, type ApiEnv } from './context.ts';
import { cachedAccessStore } from './key-cache.ts';
import { errorBody, errorHandler, validationHook } from './errors.ts';
import { registerDecisionRoutes } from './routes/decisions.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerKeyRoutes } from './routes/keys.ts';
import { registerOpsRoutes } from './routes/ops.ts';
import { registerPolicyRoutes } from './routes/policy.ts';
import { registerStatusRoutes } from './routes/status.ts';
import { registerTargetRoutes } from './routes/targets.ts';

export type { ApiDependencies, ApiEnv, ApiOptions } from './context.ts';

/** Build the app. Mount it elsewhere with `parent.route('/', app)`. */
export function createApiApp(given: ApiDependencies): ApiApp<ApiEnv> {
  const options = { ...DEFAULT_API_OPTIONS, ...given.options };
  // Keys are looked up at most once a second per key, not on every request (bounds in key-cache.ts).
  const deps: ApiDependencies = { ...given, access: cachedAccessStore(given.access, { ttlMs: options.keyCacheMs }) };
  const app = new ApiApp<ApiEnv>(validationHook);

  // Before anything reads the body: a declared or streamed body over the limit stops here.
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: (c) => {
        if (c.req.path.startsWith('/v1/events/')) deps.metrics.webhookRejections.inc({ reason: 'too-large' });
        return c.json(errorBody('payload-too-large', `the body is over the ${options.maxBodyBytes}-byte limit`), 413);
      },
    }),
  );
  // A document in a request body may carry cron lines: croner is loaded for the first request that sends one
  // (every read of a stored document loads it in the store, adapters/cron/load.ts).
  app.use('/v1/*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !cronProvided()) await loadCron();
    await next();
  });
  app.onError(errorHandler(deps.logger));
  app.notFound((c) => c.json(errorBody('not-found', `no route ${c.req.method} ${c.req.path}`), 404));

  registerOpsRoutes(app, deps);
  registerTargetRoutes(app, deps);
  registerPolicyRoutes(app, deps);
  registerDecisionRoutes(app, deps);
  registerStatusRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerKeyRoutes(app, deps);
  return app;
}
