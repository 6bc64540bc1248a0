/**
 * The answer to a GET of a target or policy document: its JSON and its ETag. A document read from memory
 * (document-cache.ts) is the same object on every read until it changes, so its JSON is kept beside it
 * (a WeakMap: it goes when the document does) and not serialized again on every read; a document read
 * from the store is a new object, serialized once. The headers are a plain object, not a `Headers`
 * (hono's `c.header` makes one, and `@hono/node-server` then copies it out again): about a tenth of the
 * server's CPU time per read in `npm run bench:api -- --only reads --cpu-prof DIR`, with the JSON.
 *
 * Documents are never changed in place (a write stores a new one and drops the cached one), so the kept
 * JSON is the document's.
 */
import type { Versioned } from '../../adapters/ports/state-store.ts';
import { etagOf } from './etag.ts';

const serialized = new WeakMap<object, string>();

/** `200` with the document's value as JSON and `ETag` its version. */
export function documentResponse(document: Versioned<unknown>): Response {
  let body = serialized.get(document);
  if (body === undefined) {
    body = JSON.stringify(document.value);
    serialized.set(document, body);
  }
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'application/json', etag: etagOf(document.version) },
  });
}
