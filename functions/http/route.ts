/**
 * Routes are declared with `@hono/zod-openapi` from the documents' zod schemas, so validation and the
 * OpenAPI document cannot drift. Each carries the scope it needs as its security requirement
 * (`security: [{ apiKey: ['read'] }]`); the auth test reads it back from the document for every route.
 */
import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import type { ApiScope } from '../../adapters/ports/access-store.ts';
import { IdSchema } from '../../core/schema/common.ts';
import { requireScope, type CredentialPlaces } from './auth.ts';
import type { ApiDependencies } from './context.ts';

/** The name of the security scheme in the document. */
export const SECURITY_SCHEME = 'apiKey';

/** A route that needs `scope`: its auth middleware runs before any validation. */
export function scopedRoute<R extends Omit<RouteConfig, 'security' | 'middleware'>>(
  scope: ApiScope,
  deps: ApiDependencies,
  config: R,
  places: CredentialPlaces = 'bearer',
) {
  return createRoute({
    ...config,
    security: [{ [SECURITY_SCHEME]: [scope] }],
    middleware: [requireScope(scope, deps, places)] as const,
  });
}

/** The error shape, for the document. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string(), received: z.unknown().optional() })).optional(),
    }),
  })
  .openapi('Error');

/** `{id}` in a path. */
export const TargetParams = z.object({ id: IdSchema });

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
