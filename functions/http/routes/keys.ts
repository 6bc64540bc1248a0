/** `POST|GET /v1/keys`, `DELETE /v1/keys/{id}`: API keys, `admin` only. The key is shown once. */
import * as z from 'zod';
import { API_SCOPES } from '../../../adapters/ports/access-store.ts';
import { generateApiKey } from '../api-keys.ts';
import type { ApiApp } from '../api-app.ts';
import type { ApiDependencies, ApiEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { COMMON_ERRORS, NOT_FOUND, TOO_LARGE, json, scopedRoute } from '../route.ts';

const ScopeSchema = z.enum(API_SCOPES);
const CreateKeyBody = z
  .object({
    scopes: z.array(ScopeSchema).min(1).max(API_SCOPES.length),
    name: z.string().min(1).max(100).default('unnamed'),
  })
  .strict();
const KeyInfo = z.object({ id: z.string(), name: z.string(), scopes: z.array(ScopeSchema), createdAt: z.number() });
const CreatedKey = z.object({ id: z.string(), key: z.string(), scopes: z.array(ScopeSchema), name: z.string() });
const KeyParams = z.object({
  id: z.string().regex(/^[a-f0-9]{16}$/, { message: 'expected a key id (16 hex digits)' }),
});

export function registerKeyRoutes(app: ApiApp<ApiEnv>, deps: ApiDependencies): void {
  const { access, clock } = deps;

  app.openapi(
    scopedRoute('admin', deps, {
      method: 'post',
      path: '/v1/keys',
      summary: 'Make an API key; the key is in this answer only',
      request: { body: { content: json(CreateKeyBody), required: true } },
      responses: { 201: { description: 'the new key', content: json(CreatedKey) }, ...TOO_LARGE, ...COMMON_ERRORS },
    }),
    async (c) => {
      const { scopes, name } = c.req.valid('json');
      const { key, record } = generateApiKey(scopes, name, clock.now());
      await access.createKey(record);
      deps.logger.info('api: key created', { id: record.id, name, scopes: record.scopes, by: c.get('apiKey').id });
      c.header('Cache-Control', 'no-store');
      return c.json({ id: record.id, key, scopes: record.scopes, name }, 201);
    },
  );

  app.openapi(
    scopedRoute('admin', deps, {
      method: 'get',
      path: '/v1/keys',
      summary: 'Every key (ids, names, scopes; never the keys)',
      responses: {
        200: { description: 'the keys', content: json(z.object({ keys: z.array(KeyInfo) })) },
        ...COMMON_ERRORS,
      },
    }),
    async (c) => c.json({ keys: await access.listKeys() }, 200),
  );

  app.openapi(
    scopedRoute('admin', deps, {
      method: 'delete',
      path: '/v1/keys/{id}',
      summary: 'Revoke a key',
      request: { params: KeyParams },
      responses: { 204: { description: 'revoked' }, ...NOT_FOUND, ...COMMON_ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      if (!(await access.revokeKey(id))) throw new ApiError(404, 'not-found', `no key "${id}"`);
      deps.logger.info('api: key revoked', { id, by: c.get('apiKey').id });
      return c.body(null, 204);
    },
  );
}
