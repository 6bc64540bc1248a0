/**
 * The API function (functions/aws/http.ts) bundled as it ships (serverless.yml's esbuild settings and plugins,
 * tools/bench/function-build.ts) and run in a fresh Node process, as Lambda runs it: the routes validate with
 * zod in the bundle (whose JSON Schema generator is a stand-in there, infra/plugins/esbuild-plugins.cjs), the
 * OpenAPI document and prom-client are chunks loaded at their first use, and none of that breaks an answer.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../functions/http/api-keys.ts';
import { bundleFunction, functionEntries } from '../../tools/bench/function-build.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
let dir: string;
let entryFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tide-api-bundle-'));
  const fn = functionEntries(root).find((entry) => entry.name === 'aws:api')!;
  entryFile = (await bundleFunction(root, fn.entry, dir, fn.build)).entryFile;
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * API Gateway HTTP API (payload 2.0) events for `requests`, answered one after another by one instance. A
 * request's `key: 'created'` is the key an earlier answer made (`POST /v1/keys`).
 */
async function invoke(requests: { method: string; path: string; body?: unknown; key?: string }[], env = {}) {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(entryFile).href)});
const out = [];
let created;
for (const { method, path, body, key } of ${JSON.stringify(requests)}) {
  const bearer = key === 'created' ? created : key;
  const event = {
    version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: '', isBase64Encoded: false,
    headers: { host: 'api.example.com', ...(bearer ? { authorization: 'Bearer ' + bearer } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 't' }, requestId: 'r', stage: '$default' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
  const answer = await m.handler(event, { getRemainingTimeInMillis: () => 30000 });
  if (answer.statusCode === 201) created = JSON.parse(answer.body).key;
  out.push({ status: answer.statusCode, body: answer.body });
}
process.stdout.write('RESULT ' + JSON.stringify(out) + '\\n');`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', TIDE_MODE: 'shadow', ...env },
    timeout: 30_000,
  });
  const line = stdout.split('\n').find((text) => text.startsWith('RESULT '))!;
  return JSON.parse(line.slice(7)) as { status: number; body: string }[];
}

describe('the API function bundled as it ships', () => {
  it('validates, stores, documents and counts through the bundle (memory store)', async () => {
    const { key } = generateApiKey(['admin'], 'bootstrap', 0);
    const target = {
      id: 'llm',
      kind: 'inference-endpoint',
      provider: 'simulated',
      pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand' }],
    };
    const [health, unauthorized, made, invalid, stored, read, document, metrics] = await invoke(
      [
        { method: 'GET', path: '/healthz' },
        { method: 'GET', path: '/v1/targets' },
        { method: 'POST', path: '/v1/keys', key, body: { scopes: ['read', 'write'], name: 'bundle' } },
        { method: 'PUT', path: '/v1/targets/llm', key: 'created', body: { ...target, pools: [] } },
        { method: 'PUT', path: '/v1/targets/llm', key: 'created', body: target },
        { method: 'GET', path: '/v1/targets/llm', key: 'created' },
        { method: 'GET', path: '/openapi.json' },
        { method: 'GET', path: '/metrics', key: 'created' },
      ],
      { TIDE_ADMIN_KEY: key },
    );
    expect(health).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect(unauthorized!.status).toBe(401);
    expect(made!.status).toBe(201);
    expect(invalid!.status).toBe(400);
    expect(JSON.parse(invalid!.body).error.issues[0].path).toBe('pools');
    expect(stored!.status).toBe(200);
    expect(JSON.parse(read!.body)).toMatchObject(target);
    expect(document!.status).toBe(200);
    expect(Object.keys(JSON.parse(document!.body).paths)).toContain('/v1/targets/{id}/policy');
    expect(metrics!.status).toBe(200);
    expect(metrics!.body).toContain('# TYPE tide_decisions_total counter');
  }, 60_000);
});
