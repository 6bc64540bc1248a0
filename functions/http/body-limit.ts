/**
 * hono's `bodyLimit`, without its cost on the common path. hono's middleware reads `c.req.raw.body` first,
 * which on `@hono/node-server` turns the lightweight request into a full WHATWG `Request` (a stream, an
 * AbortController, header copies) on every request, GETs included: about a tenth of the server's CPU time
 * in `npm run bench:api -- --cpu-prof DIR`. The answer is the same: a GET or HEAD has no body; a declared
 * `Content-Length` without `Transfer-Encoding` is checked from the header alone (as hono does); anything
 * else (a chunked body) goes to hono's middleware, which counts the bytes as they stream.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';

export function bodyLimit(options: {
  maxSize: number;
  onError: (c: Context) => Response | Promise<Response>;
}): MiddlewareHandler {
  const streamed = honoBodyLimit(options);
  return async (c, next) => {
    const headers = c.req.raw.headers;
    if (!headers.has('transfer-encoding')) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
      const length = headers.get('content-length');
      if (length !== null) return Number.parseInt(length, 10) > options.maxSize ? options.onError(c) : next();
    }
    return streamed(c, next);
  };
}
