/**
 * The OpenAPI document `GET /openapi.json` and `/docs` serve: functions/http/openapi.json, written by
 * `npm run docs:openapi` (tools/docs/openapi.ts) from the routes' declarations by `@hono/zod-openapi`, and
 * checked against what it generates from the running app's declarations by test/functions/http/openapi.test.ts.
 * Imported at the first request for it (a chunk of its own in the function bundles, about 170 KB of JSON).
 */
export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, Record<string, unknown>>>;
};

let loaded: Promise<OpenApiDocument> | undefined;

/** The committed document (read once per process). */
export function servedOpenApiDocument(): Promise<OpenApiDocument> {
  loaded ??= import('./openapi.json', { with: { type: 'json' } }).then(
    (module) => module.default as unknown as OpenApiDocument,
  );
  return loaded;
}
