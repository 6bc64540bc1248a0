/**
 * The OpenAPI document cannot drift from validation (issue 12): the app validates with its routes' zod
 * schemas (functions/http/api-app.ts) and serves a document generated at build time (functions/http/
 * openapi.json, `npm run docs:openapi`). Here the served document must equal, field for field and byte for
 * byte, what `@hono/zod-openapi` generates now from the very declarations the running app validates with.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOpenApiDocument } from '../../../functions/http/openapi-document.ts';
import { NAMED_SCHEMAS } from '../../../functions/http/route.ts';
import { OPENAPI_DOCUMENT_URL, documentText } from '../../../tools/docs/openapi.ts';
import { startApi } from './support.ts';

let api: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.runtime.close());

describe('the served OpenAPI document', () => {
  it('is what @hono/zod-openapi generates from the routes the app validates with (else: npm run docs:openapi)', async () => {
    const generated = generateOpenApiDocument(api.runtime.app);
    const served = await (await api.request('GET', '/openapi.json')).json();
    expect(served).toEqual(generated);
    expect(readFileSync(OPENAPI_DOCUMENT_URL, 'utf8')).toBe(documentText(generated));
  });

  it('documents every route the app declares, with the schema it validates the body with', () => {
    const generated = generateOpenApiDocument(api.runtime.app) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
    };
    const documented = Object.entries(generated.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual(api.runtime.app.declared.map((route) => `${route.method} ${route.path}`).sort());
    // A schema change reaches the document: the policy body is the policy schema's JSON Schema.
    const policyBody = generated.paths['/v1/targets/{id}/policy']?.put?.requestBody?.content['application/json'];
    expect(JSON.stringify(policyBody?.schema)).toContain('maxCapacity');
  });

  it('names the schemas named in the declarations as components, and fails on one it cannot reach', () => {
    const generated = generateOpenApiDocument(api.runtime.app) as { components: { schemas: Record<string, unknown> } };
    expect(Object.keys(generated.components.schemas).sort()).toEqual([...NAMED_SCHEMAS.values()].sort());
    const stray = api.runtime.app.declared[0]!;
    const unnamed = { ...api.runtime.app, declared: [stray] } as unknown as typeof api.runtime.app;
    expect(() => generateOpenApiDocument(unnamed)).toThrow(/named schemas no route declares directly/);
  });
});
