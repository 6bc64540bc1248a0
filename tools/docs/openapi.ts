/**
 * `npm run docs:openapi`: write functions/http/openapi.json, the OpenAPI document the HTTP app serves, as
 * `@hono/zod-openapi` generates it from the app's route declarations (functions/http/openapi-document.ts).
 * The app is built as `tide serve` builds it (memory stores, the simulated cloud); the document does not
 * depend on either. test/functions/http/openapi.test.ts fails when the committed document drifts from this.
 */
import { writeFileSync } from 'node:fs';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';
import { generateOpenApiDocument } from '../../functions/http/openapi-document.ts';
import { createServeRuntime } from '../../functions/serve/runtime.ts';

export const OPENAPI_DOCUMENT_URL = new URL('../../functions/http/openapi.json', import.meta.url);

/** The document as the file holds it (two-space JSON and a final newline). */
export const documentText = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  await loadCron();
  await loadExchangeCalendars();
  const runtime = await createServeRuntime({
    env: {},
    cloud: 'simulated',
    clock: { now: () => Date.now() },
    write: () => {},
  });
  try {
    writeFileSync(OPENAPI_DOCUMENT_URL, documentText(generateOpenApiDocument(runtime.app)));
    console.log('functions/http/openapi.json: regenerated from the route declarations');
  } finally {
    await runtime.close();
  }
}
