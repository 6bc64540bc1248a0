/** `GET /healthz`, `/readyz`, `/metrics`, `/openapi.json`, `/docs`. */
import * as z from 'zod';
import type { ApiApp } from '../api-app.ts';
import type { ApiDependencies, ApiEnv } from '../context.ts';
import { DEFAULT_API_OPTIONS } from '../context.ts';
import { COMMON_ERRORS, declareRoute, scopedRoute } from '../route.ts';
import { servedOpenApiDocument } from '../served-document.ts';

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

export function registerOpsRoutes(app: ApiApp<ApiEnv>, deps: ApiDependencies): void {
  const options = { ...DEFAULT_API_OPTIONS, ...deps.options };

  app.openapi(
    declareRoute({
      method: 'get',
      path: '/healthz',
      summary: 'The process is up',
      security: [],
      responses: { 200: { description: 'up', content: { 'application/json': { schema: Health } } } },
    }),
    (c) => c.json({ status: 'ok' }, 200),
  );

  app.openapi(
    declareRoute({
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
      const registry = await deps.metrics.registry();
      c.header('Content-Type', registry.contentType);
      return c.text(await registry.metrics(), 200);
    },
  );

  // The document generated from these routes' declarations at build time (openapi-document.ts), loaded at the
  // first request for it: neither it nor the reference page is part of a cold start.
  app.get('/openapi.json', async (c) => c.json(await servedOpenApiDocument()));
  app.get('/docs', async (c) => {
    const { renderReference } = await import('../reference.ts');
    return c.html(renderReference(await servedOpenApiDocument()));
  });
}
