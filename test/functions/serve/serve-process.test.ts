/**
 * `tide serve` as a real process on a real Redis: 50 clients post 2,000 CloudWatch alarm webhooks for 10
 * targets (20 % duplicates, random order). Every distinct event leaves exactly one entry in its target's
 * audit log, none leaves two, and each target's final memory equals a serial replay of its decisions in
 * commit order through the same decide. Also: `tide keys` against the same Redis, and SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../core/decide.ts';
import type { Memory } from '../../../core/schema/memory.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import type { Signal } from '../../../core/schema/signal.ts';
import { TargetSchema, type ObservedCapacity } from '../../../core/schema/target.ts';
import { parseEvent } from '../../../adapters/events/index.ts';
import { ioredisTransport } from '../../../adapters/state/ioredis-transport.ts';
import { RedisStateStore } from '../../../adapters/state/redis-store.ts';
import { generateApiKey } from '../../../functions/http/api-keys.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { alarmEvent, demoPolicy, demoTarget } from '../http/support.ts';

const BIN = fileURLToPath(new URL('../../../bin/tide.js', import.meta.url));
const TARGETS = 10;
const DISTINCT = 1600;
const DUPLICATES = 400;
const CLIENTS = 50;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.close();
});

interface Serve {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
}

async function startServe(env: Record<string, string>): Promise<Serve> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tide serve did not start within 30 s: ${stderr}`)), 30_000);
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`tide serve exited (${code}): ${stderr}`)));
  });
  return { child, url, stderr: () => stderr, stdout: () => stdout, exited };
}

/** A small seeded generator, so a failing order can be replayed. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('tide serve on a real Redis', () => {
  it('2,000 webhooks from 50 clients: one audit entry per distinct event, memory equal to a serial replay', async () => {
    const namespace = `serve-${process.pid}`;
    const admin = generateApiKey(['admin'], 'ci admin', Date.now()).key;
    const serve = await startServe({ REDIS_URL: redis.url, TIDE_ADMIN_KEY: admin, TIDE_DEPLOYMENT: namespace });
    try {
      const call = async (method: string, path: string, key: string, body?: unknown) =>
        fetch(`${serve.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${key}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const keyFor = async (scopes: string[]) =>
        ((await (await call('POST', '/v1/keys', admin, { scopes, name: scopes.join('+') })).json()) as { key: string })
          .key;
      const writer = await keyFor(['write', 'read']);
      const ingest = await keyFor(['ingest']);
      const ids = Array.from({ length: TARGETS }, (_, i) => `t${i}`);
      const policy = demoPolicy({ targetTracking: [{ metric: 'GPUUtilization', targetValue: 70, windowSeconds: 60 }] });
      for (const id of ids) {
        expect((await call('PUT', `/v1/targets/${id}`, writer, demoTarget(id))).status).toBe(200);
        expect(
          (
            await call('PUT', `/v1/targets/${id}/policy`, writer, {
              ...policy,
              triggers: [{ source: 'aws-cloudwatch', alarmName: `tide-${id}-*` }],
            })
          ).status,
        ).toBe(200);
      }

      // Values within 10 % of the target: the decisions hold, so the capacity the cloud reports stays put.
      const random = prng(42);
      const base = Date.now();
      const distinct = Array.from({ length: DISTINCT }, (_, i) => {
        const target = ids[i % TARGETS]!;
        return {
          target,
          payload: alarmEvent({
            id: `evt-${i}`,
            alarmName: `tide-${target}-gpu`,
            value: 66 + random() * 8,
            at: base + i * 5,
            state: 'OK',
          }),
        };
      });
      const posts = [
        ...distinct,
        ...Array.from({ length: DUPLICATES }, () => distinct[Math.floor(random() * DISTINCT)]!),
      ];
      for (let i = posts.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [posts[i], posts[j]] = [posts[j]!, posts[i]!];
      }

      let next = 0;
      let retried = 0;
      const failures: string[] = [];
      const client = async () => {
        while (next < posts.length) {
          const post = posts[next++]!;
          // A sender delivers again on 503 (commit contention): bounded, with a short pause.
          for (let attempt = 1; ; attempt++) {
            const response = await call('POST', '/v1/events/aws-eventbridge', ingest, post.payload);
            await response.arrayBuffer();
            if (response.status === 200) break;
            if (response.status !== 503 || attempt === 30) {
              failures.push(`${post.payload.id}: ${response.status}`);
              break;
            }
            retried++;
            await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
          }
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));
      expect(failures).toEqual([]);

      // Stop serve before reading: its tick would otherwise commit between the audit read and the load.
      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
      const store = new RedisStateStore(ioredisTransport({ url: redis.url, timeoutMs: 2000 }), { namespace });
      try {
        for (const id of ids) {
          const entries = [];
          let before: string | null = null;
          do {
            const page = await store.readAudit(id, { limit: 100, ...(before ? { before } : {}) });
            entries.push(...page.entries);
            before = page.next;
          } while (before);
          const counts = new Map<string, number>();
          for (const entry of entries) counts.set(entry.eventId, (counts.get(entry.eventId) ?? 0) + 1);
          const mine = distinct.filter((d) => d.target === id).map((d) => d.payload.id);
          expect(
            mine.filter((eventId) => counts.get(eventId) !== 1),
            `events of ${id} not exactly once`,
          ).toEqual([]);
          expect([...counts.values()].every((n) => n === 1)).toBe(true);

          // Serial replay in commit order (versions 1..n), as the process decided them.
          const ordered = [...entries].sort((a, b) => a.version - b.version);
          expect(ordered.map((e) => e.version)).toEqual(ordered.map((_, i) => i + 1));
          const byId = new Map(distinct.map((d) => [d.payload.id, d.payload]));
          const target = TargetSchema.parse(demoTarget(id));
          const replayPolicy = PolicySchema.parse({
            ...policy,
            triggers: [{ source: 'aws-cloudwatch', alarmName: `tide-${id}-*` }],
          });
          let memory: Memory | undefined;
          for (const entry of ordered) {
            const payload = byId.get(entry.eventId);
            const signal: Signal = payload
              ? (parseEvent(payload, 'aws-eventbridge') as { ok: true; event: { signals: { signal: Signal }[] } }).event
                  .signals[0]!.signal
              : {
                  kind: 'schedule-tick',
                  schedule: 'tide-serve',
                  source: 'tide-serve',
                  observedAt: entry.signal.observedAt,
                  eventId: entry.eventId,
                };
            const observed: ObservedCapacity = {
              observedAt: entry.at,
              pools: [
                {
                  poolId: 'primary',
                  instanceType: 'ml.g5.2xlarge',
                  capacityType: 'on-demand',
                  desired: 1,
                  ready: 1,
                  pending: 0,
                },
              ],
            };
            const decision = decide({
              now: entry.at,
              signal,
              target,
              policy: replayPolicy,
              observed,
              ...(memory ? { memory } : {}),
            });
            expect(decision.actions, `${entry.eventId} held`).toEqual([]);
            memory = JSON.parse(JSON.stringify(decision.memory)) as Memory;
          }
          const stored = await store.load(id, 'verify');
          expect(stored.state.version).toBe(ordered.length);
          expect(stored.state.memory).toEqual(memory);
        }
      } finally {
        await store.close();
      }
      console.log(`serve-process: ${posts.length} posts, ${retried} redelivered after 503`);
    } finally {
      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
    }
  }, 60_000);

  it('tide keys works against the same Redis; SIGTERM lets a request in flight finish, then exits 0', async () => {
    const namespace = `keys-${process.pid}`;
    const env = { REDIS_URL: redis.url, TIDE_DEPLOYMENT: namespace };
    const created = spawnSync(
      process.execPath,
      [BIN, 'keys', 'create', '--scope', 'read', '--scope', 'admin', '--name', 'ci'],
      {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      },
    );
    expect(created.status, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^tide_[a-f0-9]{16}_/);
    const serve = await startServe(env);
    expect(serve.stderr()).not.toContain('made one with every scope');
    expect((await fetch(`${serve.url}/v1/targets`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    const listed = spawnSync(process.execPath, [BIN, 'keys', 'list'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(listed.stdout).toContain('read,admin');
    expect(listed.stdout).not.toContain(key);
    const id = key.slice(5, 21);
    expect(spawnSync(process.execPath, [BIN, 'keys', 'revoke', id], { env: { ...process.env, ...env } }).status).toBe(
      0,
    );
    // Revoked by another process: the server's key cache (1 s of wall time) gives it up within that bound.
    const revokedAt = performance.now();
    let status = 200;
    while (status !== 401 && performance.now() - revokedAt < 10_000) {
      status = (await fetch(`${serve.url}/v1/targets`, { headers: { authorization: `Bearer ${key}` } })).status;
      if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(401);

    // A body in flight when SIGTERM arrives: the request completes, new connections are refused. The server's
    // `100 Continue` says it has read the headers (the request is in flight, not a connection still opening),
    // so SIGTERM is sent only then, and the body after it.
    const admin = spawnSync(process.execPath, [BIN, 'keys', 'create', '--scope', 'write'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    }).stdout.trim();
    const body = JSON.stringify(demoTarget('in-flight'));
    const inFlight = new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        `${serve.url}/v1/targets/in-flight`,
        {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${admin}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            expect: '100-continue',
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      request.on('error', reject);
      request.on('continue', () => {
        serve.child.kill('SIGTERM');
        request.end(body);
      });
    });
    expect(await inFlight).toBe(200);
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toContain('SIGTERM');
    expect(serve.stdout() + serve.stderr()).not.toContain(admin);
    await expect(fetch(`${serve.url}/healthz`)).rejects.toThrow();
  }, 60_000);
});
