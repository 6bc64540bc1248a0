/**
 * The web console `tide serve` serves at `/`: sign in with an API key, the fleet, each target's charts and
 * decisions, the override control. It is a client of the HTTP API like any other: the page script calls
 * `/console/api/v1/...`, which hands the request to the API app with the session's key as the bearer, so
 * the API's own rules (scopes: `read` to look, `write` to edit; revocation; rate limits) apply unchanged.
 *
 * Sign-in: `POST /sign-in` with the key (a form); the key is checked by asking the API for `/v1/targets`
 * with it, then kept on the server (./sessions.ts) and the browser gets an opaque session id in an
 * HttpOnly, SameSite=Strict cookie (Secure over HTTPS). CSRF: besides SameSite=Strict, every state-changing
 * request must come from this origin (`Origin`, or `Sec-Fetch-Site: same-origin`), and console API writes
 * must carry `X-Tide-Console: 1`, a header no cross-site form can send.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { consoleAssets } from './assets.ts';
import { editorPage, fleetPage, signInPage, simulatePage, targetPage } from './pages.ts';
import { WORKLOAD_CHOICES, type SimulationRequest } from './simulate.ts';
import { SimulationRunner } from './simulation-runner.ts';
import { streamSimulation } from './simulation-stream.ts';
import { checkPolicy, type PreviewDependencies } from './policy-check.ts';
import { SessionStore, type SessionOptions } from './sessions.ts';

export const SESSION_COOKIE = 'tide_session';
/** The header console API writes carry (a cross-site form or a simple request cannot set it). */
export const CONSOLE_HEADER = 'x-tide-console';
const API_PREFIX = '/console/api';
/** Headers passed on to the API; everything else (cookies first) stays behind. */
const FORWARDED = ['content-type', 'accept', 'if-match', 'if-none-match', 'accept-encoding'];
const TARGET_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface ConsoleDependencies {
  /** The API app (anything with hono's `fetch`). */
  api: { fetch: (request: Request) => Response | Promise<Response> };
  /** Wall-clock time for session expiry (not serve's scaled clock), ms. Default Date.now. */
  now?: () => number;
  sessions?: Partial<SessionOptions>;
  /** What the policy editor's dry run decides with (the runtime's store, observation, decide, clock). */
  preview?: PreviewDependencies;
  /** Largest body a console API call may send, bytes (the API's own limit applies after). */
  maxBodyBytes?: number;
  /** Where simulations run (worker threads, bounded); default a runner with the default limits. */
  simulations?: SimulationRunner;
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** The console's routes, to be mounted at `/` beside the API (`api.route('/', createConsoleApp(...))`). */
export function createConsoleApp(deps: ConsoleDependencies): Hono {
  const sessions = new SessionStore(deps.sessions);
  const app = new Hono();
  const now = deps.now ?? Date.now;
  const sessionOf = (c: Context) => sessions.get(getCookie(c, SESSION_COOKIE), now());
  const simulations = deps.simulations ?? new SimulationRunner();

  const page = (c: Context, body: ReturnType<typeof fleetPage>, status: 200 | 400 | 401 | 403 | 429 = 200) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    c.header('Cache-Control', 'no-store');
    return c.html(body, status);
  };

  const signInRedirect = (c: Context) =>
    c.redirect(`/sign-in?next=${encodeURIComponent(new URL(c.req.url).pathname)}`, 303);

  app.get('/', (c) => (sessionOf(c) ? page(c, fleetPage()) : signInRedirect(c)));
  app.get('/targets/:id', (c) => {
    const id = c.req.param('id');
    if (!TARGET_ID.test(id)) return c.text('no such target', 404);
    return sessionOf(c) ? page(c, targetPage(id)) : signInRedirect(c);
  });

  app.get('/targets/:id/policy', (c) => {
    const id = c.req.param('id');
    if (!TARGET_ID.test(id)) return c.text('no such target', 404);
    return sessionOf(c) ? page(c, editorPage(id)) : signInRedirect(c);
  });

  app.get('/simulate', (c) => (sessionOf(c) ? page(c, simulatePage(WORKLOAD_CHOICES)) : signInRedirect(c)));

  // A simulation: a bundled workload or an uploaded trace (8 MiB at most here; `tide simulate --trace` for more).
  app.post(
    '/console/simulate',
    bodyLimit({
      maxSize: 8 * 1024 * 1024,
      onError: (c) => c.json({ error: { code: 'payload-too-large', message: 'the trace is over 8 MiB' } }, 413),
    }),
    async (c) => {
      const session = sessionOf(c);
      if (!session) return c.json({ error: { code: 'unauthorized', message: 'sign in again' } }, 401);
      if (c.req.header(CONSOLE_HEADER) !== '1' || !sameOrigin(c))
        return c.json({ error: { code: 'forbidden', message: 'a console call must come from the console' } }, 403);
      // Any key that may read may simulate; the API says whether this one still may.
      const allowed = await deps.api.fetch(
        new Request(new URL('/v1/targets', c.req.url), { headers: { authorization: `Bearer ${session.key}` } }),
      );
      await allowed.body?.cancel();
      if (!allowed.ok) return c.json({ error: { code: 'forbidden', message: 'this key may not read' } }, 403);
      const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
      let request: SimulationRequest;
      if (typeof body?.workload === 'string') request = { workload: body.workload };
      else if (typeof body?.trace === 'string')
        request = { trace: body.trace, ...(typeof body.name === 'string' ? { name: body.name.slice(0, 100) } : {}) };
      else
        return c.json(
          { error: { code: 'invalid-request', message: 'expected {"workload": NAME} or {"trace": CSV}' } },
          400,
        );
      return streamSimulation(c, simulations, request);
    },
  );

  app.get('/sign-in', (c) => page(c, signInPage({ next: safeNext(c.req.query('next')) })));

  app.post('/sign-in', bodyLimit({ maxSize: 4096, onError: (c) => c.text('too large', 413) }), async (c) => {
    if (!sameOrigin(c)) return c.text('cross-site sign-in refused', 403);
    const form = await c.req.parseBody();
    const key = typeof form.key === 'string' ? form.key.trim() : '';
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    if (key === '') return page(c, signInPage({ error: 'Enter an API key.', next }), 400);
    // The API decides: a key it accepts for `GET /v1/targets` may read the console.
    const answer = await deps.api.fetch(
      new Request(new URL('/v1/targets', c.req.url), { headers: { authorization: `Bearer ${key}` } }),
    );
    await answer.body?.cancel();
    if (answer.status === 401) return page(c, signInPage({ error: 'That key was not accepted.', next }), 401);
    if (answer.status === 403)
      return page(c, signInPage({ error: 'That key lacks the read scope the console needs.', next }), 403);
    if (answer.status === 429)
      return page(c, signInPage({ error: 'Too many requests with that key; try again in a minute.', next }), 429);
    if (!answer.ok) return c.text(`the API answered ${answer.status}`, 502);
    const session = sessions.create(key, now());
    setCookie(c, SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c),
      path: '/',
      maxAge: Math.floor((session.expiresAt - session.createdAt) / 1000),
    });
    return c.redirect(next, 303);
  });

  app.post('/sign-out', (c) => {
    if (!sameOrigin(c)) return c.text('cross-site sign-out refused', 403);
    sessions.delete(getCookie(c, SESSION_COOKIE));
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c) });
    return c.redirect('/sign-in', 303);
  });

  app.get('/assets/:name', (c) => {
    const asset = consoleAssets().get(c.req.param('name'));
    if (!asset) return c.text('no such asset', 404);
    c.header('Content-Type', asset.type);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Vary', 'Accept-Encoding');
    c.header('Cache-Control', c.req.query('v') === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
    c.header('ETag', `"${asset.hash}"`);
    if (c.req.header('if-none-match') === `"${asset.hash}"`) return c.body(null, 304);
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      c.header('Content-Encoding', 'gzip');
      return c.body(new Uint8Array(asset.gzip), 200);
    }
    return c.body(new Uint8Array(asset.body), 200);
  });

  // The policy editor's check as you type: tide validate's messages, then a dry run now under both policies.
  app.post(
    '/console/check/targets/:id/policy',
    bodyLimit({
      maxSize: deps.maxBodyBytes ?? 256 * 1024,
      onError: (c) => c.json({ error: { code: 'payload-too-large', message: 'the policy is too large' } }, 413),
    }),
    async (c) => {
      const session = sessionOf(c);
      if (!session) return c.json({ error: { code: 'unauthorized', message: 'sign in again' } }, 401);
      if (c.req.header(CONSOLE_HEADER) !== '1' || !sameOrigin(c))
        return c.json({ error: { code: 'forbidden', message: 'a console call must come from the console' } }, 403);
      const id = c.req.param('id');
      // The API decides whether this key may read the target (and whether it exists).
      const target = await deps.api.fetch(
        new Request(new URL(`/v1/targets/${encodeURIComponent(id)}`, c.req.url), {
          headers: { authorization: `Bearer ${session.key}` },
        }),
      );
      if (!target.ok) return new Response(target.body, target);
      const body = (await c.req.json().catch(() => null)) as { text?: unknown } | null;
      if (typeof body?.text !== 'string')
        return c.json(
          { error: { code: 'invalid-request', message: 'expected {"text": "<the policy as JSON>"}' } },
          400,
        );
      c.header('Cache-Control', 'no-store');
      return c.json(await checkPolicy(body.text, await target.json(), deps.preview), 200);
    },
  );

  app.use(
    `${API_PREFIX}/*`,
    bodyLimit({
      maxSize: deps.maxBodyBytes ?? 256 * 1024,
      onError: (c) => c.json({ error: { code: 'payload-too-large', message: 'the body is too large' } }, 413),
    }),
  );
  app.all(`${API_PREFIX}/*`, async (c) => {
    const session = sessionOf(c);
    if (!session) return c.json({ error: { code: 'unauthorized', message: 'sign in again' } }, 401);
    const method = c.req.method;
    const safe = method === 'GET' || method === 'HEAD';
    if (!safe && (c.req.header(CONSOLE_HEADER) !== '1' || !sameOrigin(c)))
      return c.json({ error: { code: 'forbidden', message: 'a console write must come from the console' } }, 403);
    const url = new URL(c.req.url);
    const path = url.pathname.slice(API_PREFIX.length);
    if (!path.startsWith('/v1/')) return c.json({ error: { code: 'not-found', message: 'not an API path' } }, 404);
    const headers = new Headers({ authorization: `Bearer ${session.key}` });
    for (const name of FORWARDED) {
      const value = c.req.header(name);
      if (value !== undefined) headers.set(name, value);
    }
    const answer = await deps.api.fetch(
      new Request(new URL(`${path}${url.search}`, url), {
        method,
        headers,
        ...(safe ? {} : { body: await c.req.arrayBuffer() }),
      }),
    );
    const response = new Response(answer.body, answer);
    response.headers.set('Cache-Control', 'no-store');
    return response;
  });
  return app;
}

/** The `next` a sign-in may go to: a path on this site, never another origin (`//host`, `/\host`). */
function safeNext(next: string | undefined): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.length > 300) return '/';
  return next;
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

/** A state-changing request from this origin: `Origin` matches, or the browser says `same-origin`. */
function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  // The host, not the whole origin: behind a TLS proxy the request Tide sees is http.
  if (origin !== undefined) {
    try {
      return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
    } catch {
      return false;
    }
  }
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin';
  // Neither header: not a browser (browsers send Origin on every POST); curl and scripts hold the key anyway.
  return true;
}
