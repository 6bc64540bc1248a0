/** `GET|PUT|DELETE /v1/targets/{id}/policy`: the target's policy, with ETags. */
import { PolicySchema } from '../../../core/schema/policy.ts';
import type { ApiApp } from '../api-app.ts';
import type { ApiDependencies, ApiEnv } from '../context.ts';
import { etagOf, expectedVersion } from '../etag.ts';
import { documentResponse } from '../document-response.ts';
import { ApiError } from '../errors.ts';
import { COMMON_ERRORS, NOT_FOUND, PRECONDITION, TOO_LARGE, TargetParams, json, scopedRoute } from '../route.ts';
import { ifMatchHeaders, writeAudit } from './writes.ts';

const etagHeader = { ETag: { schema: { type: 'string' as const }, description: 'the version, for If-Match' } };

export function registerPolicyRoutes(app: ApiApp<ApiEnv>, deps: ApiDependencies): void {
  const { store } = deps;
  const currentVersion = (id: string) => async () => (await store.getPolicy(id))?.version ?? null;

  app.openapi(
    scopedRoute('read', deps, {
      method: 'get',
      path: '/v1/targets/{id}/policy',
      summary: "The target's policy, with its ETag",
      request: { params: TargetParams },
      responses: {
        200: { description: 'the policy (defaults filled in)', headers: etagHeader, content: json(PolicySchema) },
        ...NOT_FOUND,
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const policy = await (deps.documents ?? store).getPolicy(id);
      if (!policy) throw new ApiError(404, 'not-found', `no policy for target "${id}"`);
      // The typed answer is the schema's; this is the same JSON, serialized once per document (see there).
      return documentResponse(policy) as never;
    },
  );

  app.openapi(
    scopedRoute('write', deps, {
      method: 'put',
      path: '/v1/targets/{id}/policy',
      summary: 'Create or replace the policy (If-Match to replace one version, If-None-Match: * to create only)',
      request: { params: TargetParams, headers: ifMatchHeaders, body: { content: json(PolicySchema), required: true } },
      responses: {
        200: { description: 'stored (defaults filled in)', headers: etagHeader, content: json(PolicySchema) },
        ...NOT_FOUND,
        ...PRECONDITION,
        ...TOO_LARGE,
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const policy = c.req.valid('json');
      const expected = await expectedVersion(
        c.req.header('if-match'),
        c.req.header('if-none-match'),
        currentVersion(id),
      );
      const audit = writeAudit(deps, c.get('apiKey'), { action: 'put-policy', targetId: id, change: policy });
      const version = await store.putPolicy(id, policy, expected, audit);
      deps.documents?.forget(id);
      deps.ingest.invalidateTargets();
      c.header('ETag', etagOf(version));
      return c.json(policy, 200);
    },
  );

  app.openapi(
    scopedRoute('write', deps, {
      method: 'delete',
      path: '/v1/targets/{id}/policy',
      summary: 'Delete the policy (the target is then decided with the default policy)',
      request: { params: TargetParams, headers: ifMatchHeaders },
      responses: { 204: { description: 'deleted' }, ...NOT_FOUND, ...PRECONDITION, ...COMMON_ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const expected = await expectedVersion(c.req.header('if-match'), undefined, currentVersion(id));
      const audit = writeAudit(deps, c.get('apiKey'), { action: 'delete-policy', targetId: id, change: null });
      if (!(await store.deletePolicy(id, expected, audit)))
        throw new ApiError(404, 'not-found', `no policy for target "${id}"`);
      deps.documents?.forget(id);
      deps.ingest.invalidateTargets();
      return c.body(null, 204);
    },
  );
}
