/**
 * The console's simulations run in worker threads, bounded: over real HTTP (@hono/node-server on a free
 * port), a health request answers while a simulation is in the middle of its run (the worker is held there
 * by a test flag, so "in the middle" is certain, not a matter of timing); a second simulation is refused
 * while one runs; progress arrives as NDJSON lines with the share done; a malformed upload and a trace over
 * the span limit are refused before anything runs; a run past its deadline and a page that goes away stop
 * the worker.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsoleApp } from '../../../functions/console/app.ts';
import { type SimulationLimits, SimulationRunner } from '../../../functions/console/simulation-runner.ts';
import { waitFor } from '../../support/tide-serve.ts';
import { startApi } from '../http/support.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

/** The serve runtime's API, a console over it with `runner`, on a real socket; signed in with a read key. */
async function consoleWith(limits: Partial<SimulationLimits>, hold?: SharedArrayBuffer) {
  const api = await startApi();
  const runner = new SimulationRunner(limits, hold ? { hold } : {});
  const app = createConsoleApp({ api: api.runtime.app, simulations: runner });
  const server: ServerType = await new Promise((resolve) => {
    const created = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(created));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  open.push({
    close: async () => {
      if (hold) release(hold);
      await runner.close();
      (server as Server).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
  const signIn = await fetch(`${url}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key: api.keys.read, next: '/simulate' }).toString(),
  });
  const cookie = /tide_session=[^;]+/.exec(signIn.headers.get('set-cookie') ?? '')?.[0] ?? '';
  expect(cookie).not.toBe('');
  const simulate = (body: unknown, signal?: AbortSignal) =>
    fetch(`${url}/console/simulate`, {
      method: 'POST',
      headers: { cookie, origin: url, 'content-type': 'application/json', 'x-tide-console': '1' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  return { api, runner, url, simulate, healthz: () => api.runtime.app.request('/healthz') };
}

function release(hold: SharedArrayBuffer) {
  const flag = new Int32Array(hold);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

type Line = { type: string; fraction?: number; message?: string; result?: { runs: { name: string }[] } };

/** The NDJSON lines of a streamed answer, read as they come. */
function lines(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const seen: Line[] = [];
  let buffered = '';
  let ended = false;
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        seen.push(JSON.parse(buffered.slice(0, end)) as Line);
        buffered = buffered.slice(end + 1);
      }
    }
    ended = true;
  })();
  return { seen, ended: () => ended, finished: pump, cancel: () => reader.cancel() };
}

describe('console simulations in worker threads', () => {
  it('a health request answers while a simulation runs; a second is refused meanwhile; progress then the result', async () => {
    const hold = new SharedArrayBuffer(4);
    const { simulate, healthz, runner } = await consoleWith({}, hold);
    const answer = await simulate({ workload: 'code' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('application/x-ndjson');
    const stream = lines(answer);
    // The worker reports its first progress, then waits on the flag: the simulation is mid-run.
    await waitFor(
      'the first progress line',
      () => (stream.seen.some((l) => l.type === 'progress') ? true : undefined),
      45_000,
      50,
    );
    const health = await healthz();
    expect(health.status).toBe(200);
    expect(stream.ended()).toBe(false);
    expect(stream.seen.some((l) => l.type === 'result')).toBe(false);
    expect(runner.running).toBe(1);
    const second = await simulate({ workload: 'code' });
    expect(second.status).toBe(429);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('busy');

    release(hold);
    await stream.finished;
    expect(stream.seen[0]).toMatchObject({ type: 'ready', requests: expect.any(Number) });
    const fractions = stream.seen.flatMap((l) => (l.type === 'progress' ? [l.fraction!] : []));
    expect(fractions.length).toBeGreaterThan(2);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.every((f) => f >= 0 && f <= 1)).toBe(true);
    const last = stream.seen.at(-1)!;
    expect(last.type).toBe('result');
    expect(last.result!.runs.map((r) => r.name)).toContain('tide');
    await waitFor('the worker to be gone', () => (runner.running === 0 ? true : undefined), 10_000, 50);
  }, 60_000);

  it('refuses a malformed upload and a trace over the span limit before anything runs', async () => {
    const { simulate, runner } = await consoleWith({ maxSpanSeconds: 600 });
    const bad = await simulate({
      trace: 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,374,44\nyesterday,10,10\n',
      name: 'bad.csv',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid-trace', line: 3 } });
    const long = await simulate({
      trace: 'TIMESTAMP\n2023-11-16 18:00:00\n2023-11-16 18:30:00\n',
      name: 'half-hour.csv',
    });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { message: string } }).error.message).toMatch(
      /spans 0\.5 h; the console replays at most/,
    );
    await waitFor('no worker left', () => (runner.running === 0 ? true : undefined), 10_000, 50);
  }, 60_000);

  it('stops a simulation past its deadline', async () => {
    const hold = new SharedArrayBuffer(4);
    const { simulate, runner } = await consoleWith({ timeoutMs: 1000 }, hold);
    // Held mid-run, it cannot finish: the deadline ends it and says so (in the stream, or in a 500 when the
    // deadline came before the trace was even read: a loaded machine starts a worker slowly).
    const late = await simulate({ workload: 'code' });
    let message: string | undefined;
    if (late.status === 200) {
      const stream = lines(late);
      await stream.finished;
      expect(stream.seen.at(-1)?.type).toBe('error');
      message = stream.seen.at(-1)?.message;
    } else {
      expect(late.status).toBe(500);
      message = ((await late.json()) as { error: { message: string } }).error.message;
    }
    expect(message).toContain('did not finish within 1 s');
    await waitFor('the late worker to be stopped', () => (runner.running === 0 ? true : undefined), 10_000, 50);
  }, 60_000);

  it('stops the worker of a simulation whose page went away', async () => {
    const hold = new SharedArrayBuffer(4);
    const { simulate, runner } = await consoleWith({}, hold);

    const aborted = new AbortController();
    const gone = lines(await simulate({ workload: 'code' }, aborted.signal));
    await waitFor(
      'a progress line',
      () => (gone.seen.some((l) => l.type === 'progress') ? true : undefined),
      45_000,
      50,
    );
    expect(runner.running).toBe(1);
    aborted.abort();
    await gone.finished.catch(() => undefined);
    await waitFor('the abandoned worker to be stopped', () => (runner.running === 0 ? true : undefined), 10_000, 50);
  }, 60_000);
});
