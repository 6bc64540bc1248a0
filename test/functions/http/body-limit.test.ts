import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../functions/serve/server.ts';
import { demoPolicy, demoTarget, startApi } from './support.ts';

/** Over a real socket (`@hono/node-server`), where the body limit reads the headers before the body. */
let api: Awaited<ReturnType<typeof startApi>>;
let server: RunningServer;
beforeAll(async () => {
  api = await startApi();
  server = await startServer(api.runtime, { host: '127.0.0.1', port: 0 });
  await api.request('PUT', '/v1/targets/llm', { key: api.keys.write, body: demoTarget('llm') });
});
afterAll(async () => {
  await server?.stop(1000);
});

function send(
  method: string,
  path: string,
  options: { key: string; chunks?: string[]; contentLength?: number },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${options.key}` };
    if (options.chunks) headers['content-type'] = 'application/json';
    if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
    const req = httpRequest(`${server.url}${path}`, { method, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    // A 413 may close the connection before the whole body is sent: that is the point.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? undefined : reject(error)));
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

describe('the body limit on a real socket', () => {
  const policy = JSON.stringify(demoPolicy({ maxCapacity: 5 }));
  const huge = `{"x":"${'a'.repeat(300 * 1024)}"}`;

  it('takes a body within the limit with Content-Length, and one sent chunked', async () => {
    const declared = await send('PUT', '/v1/targets/llm/policy', {
      key: api.keys.write,
      chunks: [policy],
      contentLength: Buffer.byteLength(policy),
    });
    expect(declared.status).toBe(200);
    const chunked = await send('PUT', '/v1/targets/llm/policy', {
      key: api.keys.write,
      chunks: [policy.slice(0, 10), policy.slice(10)],
    });
    expect(chunked.status).toBe(200);
  });

  it('answers 413 to a declared Content-Length over the limit and to a chunked body that grows past it', async () => {
    const declared = await send('PUT', '/v1/targets/llm/policy', {
      key: api.keys.write,
      chunks: [huge],
      contentLength: Buffer.byteLength(huge),
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error.code).toBe('payload-too-large');
    const chunked = await send('POST', '/v1/events/alertmanager', {
      key: api.keys.ingest,
      chunks: [huge.slice(0, 100_000), huge.slice(100_000, 200_000), huge.slice(200_000)],
    });
    expect(chunked.status).toBe(413);
  });

  it('a GET goes through', async () => {
    const read = await send('GET', '/v1/targets/llm/policy', { key: api.keys.read });
    expect(read.status).toBe(200);
    expect(JSON.parse(read.body).maxCapacity).toBe(5);
  });
});
