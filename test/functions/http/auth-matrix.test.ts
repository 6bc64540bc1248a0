/**
 * Every route of the OpenAPI document × every key (none, read, write, ingest, admin). The table below must
 * name every operation the document has, with its scope: a route added without its auth case fails here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { demoPolicy, demoTarget, startApi } from './support.ts';

const EXPECTED_SCOPES: Record<string, string> = {
  'get /healthz': 'none',
  'get /readyz': 'none',
  'get /metrics': 'read',
  'get /v1/targets': 'read',
  'get /v1/targets/{id}': 'read',
  'put /v1/targets/{id}': 'write',
  'delete /v1/targets/{id}': 'write',
  'get /v1/targets/{id}/policy': 'read',
  'put /v1/targets/{id}/policy': 'write',
  'delete /v1/targets/{id}/policy': 'write',
  'get /v1/targets/{id}/decisions': 'read',
  'get /v1/targets/{id}/signals': 'read',
  'post /v1/targets/{id}/override': 'write',
  'delete /v1/targets/{id}/override': 'write',
  'get /v1/targets/{id}/status': 'read',
  'post /v1/targets/{id}/decide': 'read',
  'post /v1/events/{source}': 'ingest',
  'post /v1/keys': 'admin',
  'get /v1/keys': 'admin',
  'delete /v1/keys/{id}': 'admin',
};

const KEYS = ['none', 'read', 'write', 'ingest', 'admin'] as const;

let api: Awaited<ReturnType<typeof startApi>>;
let operations: { method: string; path: string; scope: string }[];
beforeAll(async () => {
  api = await startApi();
  const document = (await (await api.request('GET', '/openapi.json')).json()) as {
    paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
  };
  operations = Object.entries(document.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method,
      path,
      scope: op.security && op.security.length > 0 ? (Object.values(op.security[0]!)[0]![0] ?? 'key') : 'none',
    })),
  );
});

/** A body each route accepts, so the right key gets past validation too. */
function bodyFor(method: string, path: string): unknown {
  if (method === 'put' && path === '/v1/targets/{id}') return demoTarget('matrix');
  if (method === 'put' && path.endsWith('/policy')) return demoPolicy();
  if (path.endsWith('/override') && method === 'post') return { capacity: 2, durationSeconds: 600, reason: 'matrix' };
  if (path.endsWith('/decide'))
    return { signal: { kind: 'schedule-tick', source: 'test', observedAt: Date.parse('2026-03-02T14:00:00Z') } };
  if (path === '/v1/events/{source}') return { kind: 'tide.tick' };
  if (path === '/v1/keys' && method === 'post') return { scopes: ['read'], name: 'matrix' };
  return undefined;
}

describe('auth matrix from the OpenAPI document', () => {
  it('names every operation of the document with the scope it declares', () => {
    expect(Object.fromEntries(operations.map((op) => [`${op.method} ${op.path}`, op.scope]))).toEqual(EXPECTED_SCOPES);
  });

  it('answers every route × key as its scope says: 401 without a key, 403 with another scope, through otherwise', async () => {
    await api.request('PUT', '/v1/targets/matrix', { key: api.keys.write, body: demoTarget('matrix') });
    const rows: string[] = [];
    for (const op of operations) {
      for (const key of KEYS) {
        // Re-create what a previous row deleted, so each row meets the same state.
        await api.request('PUT', '/v1/targets/matrix', { key: api.keys.write, body: demoTarget('matrix') });
        await api.request('PUT', '/v1/targets/matrix/policy', { key: api.keys.write, body: demoPolicy() });
        const path = op.path
          .replace('{id}', op.path.startsWith('/v1/keys') ? '0123456789abcdef' : 'matrix')
          .replace('{source}', 'auto');
        const body = bodyFor(op.method, op.path);
        const response = await api.request(op.method.toUpperCase(), path, {
          key: key === 'none' ? null : api.keys[key],
          ...(body === undefined ? {} : { body }),
        });
        const expected = op.scope === 'none' ? 'through' : key === 'none' ? 401 : key === op.scope ? 'through' : 403;
        const got = response.status === 401 || response.status === 403 ? response.status : 'through';
        if (got !== expected || response.status >= 500)
          rows.push(`${op.method} ${op.path} with ${key}: ${response.status} ${await response.text()}`);
        if (response.status === 401 || response.status === 403) {
          const body = (await response.json()) as { error: { code: string; message: string } };
          // Nothing that helps a guesser: the same words whatever was wrong with the key.
          expect(body.error.message).toBe(
            response.status === 401 ? 'missing or invalid credentials' : 'this key may not do that',
          );
        }
      }
    }
    expect(rows).toEqual([]);
  }, 60_000);

  it('refuses a malformed key, a wrong secret for a real id, and a revoked key, all alike', async () => {
    const good = api.keys.read;
    const wrongSecret = `${good.slice(0, 22)}${'A'.repeat(good.length - 22)}`;
    const answers = [];
    for (const key of ['nonsense', wrongSecret, `${good}x`]) {
      const response = await api.request('GET', '/v1/targets', { key });
      answers.push([response.status, await response.text()]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]![0]).toBe(401);
  });
});
