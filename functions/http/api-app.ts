/**
 * The app the routes are declared on: plain hono plus `openapi(route, handler)`, which validates a request with
 * the route's zod schemas exactly as `@hono/zod-openapi`'s `OpenAPIHono.openapi` does (the same validators in
 * the same order: query, path, headers, the media-type gate, the JSON body) and keeps the declaration.
 *
 * Why not OpenAPIHono itself: it builds the OpenAPI document at run time, so every function that serves the
 * API carried all of zod's classic API, its JSON Schema generator and `@asteasolutions/zod-to-openapi` at cold
 * start (about 130 KB minified, 20-30 ms of import) to serve a document that only changes with the code. The
 * document is generated from the declarations kept here (`declared`) by `@hono/zod-openapi` itself, at build
 * time (tools/docs/openapi.ts writes functions/http/openapi.json), and a test checks that the served document
 * equals what `@hono/zod-openapi` generates from this app's declarations now (test/functions/http/openapi.test.ts).
 *
 * Why `hono/tiny` (PatternRouter) and not the default preset (SmartRouter over RegExpRouter and TrieRouter):
 * the API has about twenty routes, matched in registration order either way; one regular expression per route
 * tried in turn costs nothing beside a request's state call, and the default's two routers and their chooser
 * are about 6 KB of every API function's cold start (issue 18). Same paths, same params, same order, with one
 * difference: PatternRouter also matches a path with one trailing slash (`/healthz/` answers as `/healthz`, with
 * the same authentication), where the default router answered 404.
 */
import type { RouteConfig, RouteHandler } from '@hono/zod-openapi';
import { zValidator } from '@hono/zod-validator';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { Hono } from 'hono/tiny';
import { HTTPException } from 'hono/http-exception';
import type { ZodType } from 'zod';

/** What a validator hands the hook (zod's safe-parse result, the input and which part it was). */
export type ValidationHook = (
  result: { success: boolean; error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } } & {
    data?: unknown;
    target?: string;
  },
  c: Context,
) => Response | undefined | Promise<Response | undefined>;

/** A route as the document shows it: the declaration without its middleware. */
export type DeclaredRoute = Omit<RouteConfig, 'middleware'>;

const isZod = (x: unknown): x is ZodType =>
  typeof x === 'object' && x !== null && typeof (x as ZodType).safeParseAsync === 'function';
const isJson = (contentType: string) => /^application\/([a-z-.]+\+)?json/i.test(contentType);
const JSON_REQUEST = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/** True when the request has a body of at least one byte (read from a clone; the body stays readable). */
async function hasRequestBody(c: Context): Promise<boolean> {
  const raw = c.req.raw;
  if (raw.body === null) return false;
  if (raw.bodyUsed) return (await c.req.arrayBuffer()).byteLength > 0;
  const body = raw.clone().body;
  if (body === null) return false;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      if (value.byteLength > 0) return true;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** Hono with validated, declared routes. */
export class ApiApp<E extends Env> extends Hono<E> {
  /** Every route declared with `openapi`, in order, for the document. */
  readonly declared: DeclaredRoute[] = [];

  constructor(private readonly validationHook: ValidationHook) {
    super();
  }

  /** Declare a route: its middleware, then its validators, then the handler (as `OpenAPIHono.openapi`). */
  openapi<R extends RouteConfig>(route: R, handler: RouteHandler<R, E>): this {
    const { middleware, ...declaration } = route as RouteConfig;
    this.declared.push(declaration);
    const hook = this.validationHook as never;
    const request = declaration.request;
    const validators: MiddlewareHandler[] = [];
    if (request?.query) validators.push(zValidator('query', request.query as ZodType, hook));
    if (request?.params) validators.push(zValidator('param', request.params as ZodType, hook));
    if (request?.headers && isZod(request.headers)) validators.push(zValidator('header', request.headers, hook));
    const content = request?.body?.content;
    if (content) {
      // Only JSON bodies are declared here. A zod-validated JSON body is gated on its media type (415).
      const schemaOf = (type: string) => (content[type] as { schema?: unknown } | undefined)?.schema;
      const types = Object.keys(content);
      if (types.some((type) => isZod(schemaOf(type)) && isJson(type)))
        validators.push(async (c, next) => {
          const contentType = c.req.header('content-type');
          if (contentType ? !JSON_REQUEST.test(contentType) : await hasRequestBody(c))
            throw new HTTPException(415, { message: 'Unsupported Media Type' });
          await next();
        });
      for (const type of types) {
        const schema = schemaOf(type);
        if (!isZod(schema) || !isJson(type)) continue;
        const validator = zValidator('json', schema, hook);
        if (request.body?.required) validators.push(validator);
        else
          validators.push(async (c, next) => {
            const contentType = c.req.header('content-type');
            if (contentType && isJson(contentType)) return validator(c, next);
            c.req.addValidatedData('json', {});
            await next();
          });
      }
    }
    const chain = [...(middleware ? [middleware].flat() : []), ...validators, handler] as MiddlewareHandler[];
    this.on(
      [declaration.method.toUpperCase()],
      [declaration.path.replaceAll(/\/{([^}/]+)}/g, '/:$1')],
      ...(chain as []),
    );
    return this;
  }
}
