/**
 * The console's sign-in, session cookie, CSRF checks and API proxy, in process against the serve runtime.
 * The browser test (./browser.test.ts) shows the pages work; this shows what a hostile page or a stolen
 * cookie cannot do.
 */
import { describe, expect, it } from 'vitest';
import { SessionStore } from '../../../functions/console/sessions.ts';
import { jsonErrorOffset } from '../../../functions/console/policy-check.ts';
import { generateApiKey } from '../../../functions/http/api-keys.ts';
import { demoPolicy, demoTarget, startApi } from '../http/support.ts';

const ORIGIN = 'http://localhost';

async function signedIn(key: 'read' | 'read+write' = 'read') {
  const api = await startApi();
  const both = generateApiKey(['read', 'write'], 'console editor', api.clock.now());
  await api.runtime.access.createKey(both.record);
  await api.request('PUT', '/v1/targets/llm', { key: api.keys.write, body: demoTarget('llm') });
  await api.request('PUT', '/v1/targets/llm/policy', { key: api.keys.write, body: demoPolicy() });
  const answer = await api.runtime.app.request('/sign-in', {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key: key === 'read' ? api.keys.read : both.key, next: '/targets/llm' }).toString(),
  });
  const cookie = answer.headers.get('set-cookie') ?? '';
  return { api, answer, cookie, session: /tide_session=([^;]+)/.exec(cookie)?.[1] ?? '' };
}

describe('console sign-in', () => {
  it('exchanges a read key for an HttpOnly, SameSite=Strict session cookie that never holds the key', async () => {
    const { answer, cookie, api } = await signedIn('read');
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/targets/llm');
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(api.keys.read);
  });

  it('refuses a wrong key (401), a key without read (403), a cross-site sign-in (403), and an off-site next', async () => {
    const api = await startApi();
    const post = (body: Record<string, string>, origin = ORIGIN) =>
      api.runtime.app.request('/sign-in', {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body).toString(),
      });
    const wrong = await post({ key: `tide_0123456789abcdef_${'A'.repeat(43)}` });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That key was not accepted.');
    expect((await post({ key: api.keys.ingest })).status).toBe(403);
    expect((await post({ key: api.keys.read }, 'https://evil.example')).status).toBe(403);
    const offsite = await post({ key: api.keys.read, next: '//evil.example/' });
    expect(offsite.headers.get('location')).toBe('/');
  });

  it('pages redirect to sign-in without a session; with one they render', async () => {
    const { api, session } = await signedIn();
    const without = await api.runtime.app.request('/targets/llm');
    expect(without.status).toBe(303);
    expect(without.headers.get('location')).toBe('/sign-in?next=%2Ftargets%2Fllm');
    const withSession = await api.runtime.app.request('/targets/llm', {
      headers: { cookie: `tide_session=${session}` },
    });
    expect(withSession.status).toBe(200);
    expect(withSession.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await withSession.text()).toContain('data-target="llm"');
  });
});

describe('console API proxy', () => {
  it('reads with the session; writes need the console header and this origin; the key scope still rules', async () => {
    const { api, session } = await signedIn('read');
    const cookie = `tide_session=${session}`;
    const status = await api.runtime.app.request('/console/api/v1/targets/llm/status', { headers: { cookie } });
    expect(status.status).toBe(200);
    expect(((await status.json()) as { targetId: string }).targetId).toBe('llm');
    expect(status.headers.get('cache-control')).toBe('no-store');

    const override = (headers: Record<string, string>) =>
      api.runtime.app.request('/console/api/v1/targets/llm/override', {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ capacity: 2, durationSeconds: 60, reason: 'x' }),
      });
    // A cross-site form post (no custom header) and a request from another origin: refused before the API.
    expect((await override({ origin: ORIGIN })).status).toBe(403);
    expect((await override({ origin: 'https://evil.example', 'x-tide-console': '1' })).status).toBe(403);
    // From the console with a read key: the API's own 403.
    const forbidden = await override({ origin: ORIGIN, 'x-tide-console': '1' });
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: { message: string } }).error.message).toBe('this key may not do that');

    const writer = await signedIn('read+write');
    const allowed = await writer.api.runtime.app.request('/console/api/v1/targets/llm/override', {
      method: 'POST',
      headers: {
        cookie: `tide_session=${writer.session}`,
        origin: ORIGIN,
        'x-tide-console': '1',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ capacity: 2, durationSeconds: 60, reason: 'x' }),
    });
    expect(allowed.status).toBe(200);
  });

  it('no session, a forged session, or a signed-out one: 401; only /v1 paths pass', async () => {
    const { api, session } = await signedIn();
    const get = (cookie: string, path = '/console/api/v1/targets') =>
      api.runtime.app.request(path, { headers: { cookie } });
    expect((await get('')).status).toBe(401);
    expect((await get(`tide_session=${'x'.repeat(43)}`)).status).toBe(401);
    expect((await get(`tide_session=${session}`, '/console/api/metrics')).status).toBe(404);
    const out = await api.runtime.app.request('/sign-out', {
      method: 'POST',
      headers: { cookie: `tide_session=${session}`, origin: ORIGIN },
    });
    expect(out.status).toBe(303);
    expect((await get(`tide_session=${session}`)).status).toBe(401);
  });

  it('serves its assets gzipped, hashed and immutable', async () => {
    const api = await startApi();
    const page = await (await api.runtime.app.request('/sign-in')).text();
    const href = /href="(\/assets\/console\.css\?v=[^"]+)"/.exec(page)?.[1];
    expect(href).toBeDefined();
    const asset = await api.runtime.app.request(href!, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });
});

describe('console sessions', () => {
  it('expire, and the oldest goes when the store is full', () => {
    const store = new SessionStore({ ttlMs: 1000, maxSessions: 2 });
    const a = store.create('ka', 0);
    const b = store.create('kb', 0);
    expect(store.get(a.id, 999)?.key).toBe('ka');
    expect(store.get(a.id, 1000)).toBeUndefined();
    const c = store.create('kc', 10);
    store.create('kd', 10);
    expect(store.size).toBe(2);
    expect(store.get(b.id, 20)).toBeUndefined();
    expect(store.get(c.id, 20)?.key).toBe('kc');
    expect(store.get('not a session id', 20)).toBeUndefined();
  });
});

describe('console policy check', () => {
  it("answers tide validate's messages for bad text, a dry run under both policies for good text; needs the console header", async () => {
    const { api, session } = await signedIn('read');
    const check = (
      text: string,
      headers: Record<string, string> = { 'x-tide-console': '1', origin: ORIGIN },
      id = 'llm',
    ) =>
      api.runtime.app.request(`/console/check/targets/${id}/policy`, {
        method: 'POST',
        headers: { cookie: `tide_session=${session}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ text }),
      });
    expect((await check('{}', { origin: ORIGIN })).status).toBe(403);
    expect((await check('{}', undefined, 'nope')).status).toBe(404);
    const bad = (await (await check('{"minCapacity": 3, "maxCapacity": 2}')).json()) as {
      valid: boolean;
      problems: { message: string }[];
    };
    expect(bad.valid).toBe(false);
    expect(bad.problems.length).toBeGreaterThan(0);
    const notJson = (await (await check('{\n  "minCapacity": ,\n}')).json()) as { problems: { message: string }[] };
    expect(notJson.problems[0]!.message).toMatch(/^not JSON at line 2, column 18: unexpected ","$/);
    const good = (await (await check(JSON.stringify(demoPolicy({ minCapacity: 2 })))).json()) as {
      valid: boolean;
      dryRun: { proposed: { desiredCapacity: number; reasons: string[] }; current: { reasons: string[] } };
    };
    expect(good.valid).toBe(true);
    expect(good.dryRun.proposed.reasons.length).toBeGreaterThan(0);
    expect(good.dryRun.current.reasons.length).toBeGreaterThan(0);
  });
});

describe('where JSON goes wrong', () => {
  it('points at the first character a parser cannot take', () => {
    const valid = '{"a": [1, 2.5e3, true, null, "x\\"y"]}';
    expect(JSON.parse(valid)).toBeDefined();
    expect(jsonErrorOffset(valid)).toBe(valid.length);
    expect(jsonErrorOffset('[1,]')).toBe(3);
    expect(jsonErrorOffset('{"a":tru}')).toBe(5);
    expect(jsonErrorOffset('{"a":1} x')).toBe(8);
    expect(jsonErrorOffset('{"a":')).toBe(5);
    expect(jsonErrorOffset('[01]')).toBe(2);
  });
});
