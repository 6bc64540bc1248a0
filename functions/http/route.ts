/**
 * Routes are declared in `@hono/zod-openapi`'s route shape from the documents' zod schemas: the app validates
 * with them (api-app.ts) and `@hono/zod-openapi` generates the OpenAPI document from the same declarations
 * (openapi-document.ts), so validation and the document cannot drift. Each carries the scope it needs as its
 * security requirement (`security: [{ apiKey: ['read'] }]`); the auth test reads it back from the document
 * for every route.
 */
import type { RouteConfig } from '@hono/zod-openapi';
import { array, object, string, unknown, type ZodType } from 'zod';
import type { ApiScope } from '../../adapters/ports/access-store.ts';
import { IdSchema } from '../../core/schema/common.ts';
import { requireScope, type CredentialPlaces } from './auth.ts';
import type { ApiDependencies } from './context.ts';

/** The name of the security scheme in the document. */
export const SECURITY_SCHEME = 'apiKey';

/**
 * A route declaration, typed as `@hono/zod-openapi`'s `createRoute` types it (the path kept as a literal, so a
 * handler's `c.req.valid('param')` is typed), without loading it.
 */
export const declareRoute = <P extends string, R extends Omit<RouteConfig, 'path'> & { path: P }>(config: R): R =>
  config;

/** A route that needs `scope`: its auth middleware runs before any validation. */
export function scopedRoute<R extends Omit<RouteConfig, 'security' | 'middleware'>>(
  scope: ApiScope,
  deps: ApiDependencies,
  config: R,
  places: CredentialPlaces = 'bearer',
) {
  return declareRoute({
    ...config,
    security: [{ [SECURITY_SCHEME]: [scope] }],
    middleware: [requireScope(scope, deps, places)] as const,
  });
}

/**
 * Schemas the document shows once under `components.schemas` by name and refers to (what `.openapi('Error')`
 * does under `@hono/zod-openapi`'s zod extension, which the app does not load): openapi-document.ts names them.
 */
export const NAMED_SCHEMAS = new Map<ZodType, string>();

/** `schema`, shown in the document as the component `name`. */
export function named<S extends ZodType>(name: string, schema: S): S {
  NAMED_SCHEMAS.set(schema, name);
  return schema;
}

/** The error shape, for the document. */
export const ErrorSchema = named(
  'Error',
  object({
    error: object({
      code: string(),
      message: string(),
      issues: array(object({ path: string(), message: string(), received: unknown().optional() })).optional(),
    }),
  }),
);

/** `{id}` in a path. */
export const TargetParams = object({ id: IdSchema });

const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

/** The error answers every authenticated route may give. */
export const COMMON_ERRORS = {
  400: error('invalid request: every field that failed, with the value it had'),
  401: error('no valid key'),
  403: error('the key lacks the scope'),
  429: error('over the key rate limit (see Retry-After)'),
  503: error('the state store is not answering'),
} as const;

/** 404, 412 and 413 for routes that have them. */
export const NOT_FOUND = { 404: error('no such target or document') } as const;
export const PRECONDITION = { 412: error('If-Match or If-None-Match did not hold; nothing changed') } as const;
export const TOO_LARGE = {
  413: error('body over the limit (256 KiB)'),
  415: error('not application/json'),
} as const;

/** `content` of a JSON body or answer. */
export const json = <S>(schema: S) => ({ 'application/json': { schema } });
