/** `GET /v1/targets`, `GET|PUT|DELETE /v1/targets/{id}`: the target documents. */
import * as z from 'zod';
import { TargetSchema } from '../../../core/schema/target.ts';
import type { ApiApp } from '../api-app.ts';
import type { ApiDependencies, ApiEnv } from '../context.ts';
import { etagOf, expectedVersion } from '../etag.ts';
import { documentResponse } from '../document-response.ts';
import { ApiError } from '../errors.ts';
import { COMMON_ERRORS, NOT_FOUND, PRECONDITION, TOO_LARGE, TargetParams, json, scopedRoute } from '../route.ts';
import { ifMatchHeaders, writeAudit } from './writes.ts';

const TargetList = z.object({ targets: z.array(TargetSchema) });
const etagHeader = { ETag: { schema: { type: 'string' as const }, description: 'the version, for If-Match' } };

export function registerTargetRoutes(app: ApiApp<ApiEnv>, deps: ApiDependencies): void {
  const { store } = deps;

  app.openapi(
    scopedRoute('read', deps, {
      method: 'get',
      path: '/v1/targets',
      summary: 'Every target, by id',
      responses: { 200: { description: 'the targets', content: json(TargetList) }, ...COMMON_ERRORS },
    }),
    async (c) => {
      const ids = await store.listTargets();
      const targets = await Promise.all(ids.map((id) => store.getTarget(id)));
      return c.json({ targets: targets.flatMap((t) => (t ? [t.value] : [])) }, 200);
    },
  );

  app.openapi(
    scopedRoute('read', deps, {
      method: 'get',
      path: '/v1/targets/{id}',
      summary: 'One target document, with its ETag',
      request: { params: TargetParams },
      responses: {
        200: { description: 'the target', headers: etagHeader, content: json(TargetSchema) },
        ...NOT_FOUND,
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const target = await (deps.documents ?? store).getTarget(id);
      if (!target) throw new ApiError(404, 'not-found', `no target "${id}"`);
      // The typed answer is the schema's; this is the same JSON, serialized once per document (see there).
      return documentResponse(target) as never;
    },
  );

  app.openapi(
    scopedRoute('write', deps, {
      method: 'put',
      path: '/v1/targets/{id}',
      summary: 'Create or replace a target (If-Match to replace one version, If-None-Match: * to create only)',
      request: {
        params: TargetParams,
        headers: ifMatchHeaders,
        body: { content: json(TargetSchema), required: true },
      },
      responses: {
        200: { description: 'stored', headers: etagHeader, content: json(TargetSchema) },
        ...PRECONDITION,
        ...TOO_LARGE,
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const target = c.req.valid('json');
      if (target.id !== id)
        throw new ApiError(400, 'invalid-request', `the body's id must be the path's id "${id}"`, [
          {
            path: 'id',
            message: `id: must equal the path's id "${id}" (got ${JSON.stringify(target.id)})`,
            received: target.id,
          },
        ]);
      const expected = await expectedVersion(
        c.req.header('if-match'),
        c.req.header('if-none-match'),
        async () => (await store.getTarget(id))?.version ?? null,
      );
      const audit = writeAudit(deps, c.get('apiKey'), { action: 'put-target', targetId: id, change: target });
      const version = await store.putTarget(target, expected, audit);
      deps.documents?.forget(id);
      deps.ingest.invalidateTargets();
      c.header('ETag', etagOf(version));
      return c.json(target, 200);
    },
  );

  app.openapi(
    scopedRoute('write', deps, {
      method: 'delete',
      path: '/v1/targets/{id}',
      summary: 'Delete a target with its policy, memory and decision log',
      request: { params: TargetParams, headers: ifMatchHeaders },
      responses: { 204: { description: 'deleted' }, ...NOT_FOUND, ...PRECONDITION, ...COMMON_ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      // Read first when something must be given back on deletion: the document names the cloud resources.
      const before = deps.released ? await store.getTarget(id) : undefined;
      const expected = await expectedVersion(
        c.req.header('if-match'),
        undefined,
        async () => (before === undefined ? await store.getTarget(id) : before)?.version ?? null,
      );
      const audit = writeAudit(deps, c.get('apiKey'), { action: 'delete-target', targetId: id, change: null });
      if (!(await store.deleteTarget(id, expected, audit))) throw new ApiError(404, 'not-found', `no target "${id}"`);
      deps.documents?.forget(id);
      deps.ingest.invalidateTargets();
      if (before && deps.released) {
        // The target is gone either way; what failed here is given back by the provider's backstop sweep.
        try {
          await deps.released(before.value);
        } catch (error) {
          deps.logger.warn('target deleted; giving back its provider resources failed', {
            targetId: id,
            error: (error as Error).message,
          });
        }
      }
      return c.body(null, 204);
    },
  );
}
