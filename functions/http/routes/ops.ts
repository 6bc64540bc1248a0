/** `GET /healthz`, `/readyz`, `/metrics`, `/openapi.json`, `/docs`. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDependencies, ApiEnv } from '../context.ts';
import { DEFAULT_API_OPTIONS } from '../context.ts';
import { COMMON_ERRORS, scopedRoute } from '../route.ts';
import { renderReference } from '../reference.ts';

const Health = z.object({ status: z.string() });

/** The document's header. */
export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Tide policy API',
    version: '1',
    description:
      'Targets, policies, overrides, the decision log and webhooks of Tide, the event-driven autoscaler. Every /v1 route needs an API key (`Authorization: Bearer tide_...`) with the scope its security requirement names.',
  },
} as const;

export function registerOpsRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDependencies): void {
  const options = { ...DEFAULT_API_OPTIONS, ...deps.options };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      summary: 'The process is up',
      security: [],
      responses: { 200: { description: 'up', content: { 'application/json': { schema: Health } } } },
    }),
    (c) => c.json({ status: 'ok' }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      summary: 'The state store answers within 1 s',
      security: [],
      responses: {
        200: { description: 'ready', content: { 'application/json': { schema: Health } } },
        503: {
          description: 'the state store did not answer in time',
          content: { 'application/json': { schema: Health } },
        },
      },
    }),
    async (c) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), options.readyTimeoutMs);
      });
      const probe = deps.store.getTarget('tide-readyz-probe').then(
        () => true,
        () => false,
      );
      const ok = await Promise.race([probe, deadline]).finally(() => clearTimeout(timer));
      return ok ? c.json({ status: 'ready' }, 200) : c.json({ status: 'state store not answering' }, 503);
    },
  );

  app.openapi(
    scopedRoute('read', deps, {
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics (text format)',
      responses: {
        200: { description: 'the metrics', content: { 'text/plain': { schema: z.string() } } },
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      c.header('Content-Type', deps.metrics.registry.contentType);
      return c.text(await deps.metrics.registry.metrics(), 200);
    },
  );

  app.doc31('/openapi.json', OPENAPI_INFO);

  app.get('/docs', (c) => c.html(renderReference(openApiDocument(app) as unknown as Record<string, unknown>)));
}

/** The OpenAPI document of `app`, with the security scheme. */
export function openApiDocument(app: OpenAPIHono<ApiEnv>) {
  return app.getOpenAPI31Document(OPENAPI_INFO);
}
