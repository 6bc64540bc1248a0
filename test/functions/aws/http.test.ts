/**
 * The Lambda entry of the HTTP API driven with API Gateway HTTP API (payload 2.0) events: the same app as
 * `tide serve`, through hono/aws-lambda.
 */
import { describe, expect, it } from 'vitest';
import { MemoryAccessStore } from '../../../adapters/state/access-memory.ts';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import { createHttpHandler } from '../../../functions/aws/http.ts';
import { generateApiKey } from '../../../functions/http/api-keys.ts';
import { apiOptionsFromEnv } from '../../../functions/http/context.ts';
import { alarmEvent, demoPolicy, demoTarget } from '../http/support.ts';

function apiGatewayEvent(method: string, path: string, options: { key?: string; body?: unknown; query?: string } = {}) {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers: {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: `req-${Math.random()}`,
      routeKey: '$default',
      stage: '$default',
      time: '02/Mar/2026:14:00:00 +0000',
      timeEpoch: Date.parse('2026-03-02T14:00:00Z'),
    },
    ...(body ? { body, isBase64Encoded: false } : { isBase64Encoded: false }),
  };
}

const context = {
  getRemainingTimeInMillis: () => 29_000,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:tide-api',
} as never;

describe('the HTTP API on Lambda (API Gateway v2 events)', () => {
  it('answers the same routes with the same auth, ETags and webhooks as tide serve', async () => {
    const lines: string[] = [];
    const access = new MemoryAccessStore();
    const admin = generateApiKey(['admin', 'read', 'write', 'ingest'], 'ci', 0);
    await access.createKey(admin.record);
    const handler = createHttpHandler(
      { TIDE_MODE: 'shadow' },
      { store: new MemoryStateStore(), access, write: (l) => lines.push(l) },
    );
    const call = (method: string, path: string, options: { key?: string; body?: unknown; query?: string } = {}) =>
      handler(apiGatewayEvent(method, path, options) as never, context) as Promise<{
        statusCode: number;
        headers: Record<string, string>;
        body: string;
      }>;

    expect((await call('GET', '/healthz')).statusCode).toBe(200);
    expect((await call('GET', '/v1/targets')).statusCode).toBe(401);
    expect((await call('PUT', '/v1/targets/llm', { key: admin.key, body: demoTarget('llm') })).statusCode).toBe(200);
    const put = await call('PUT', '/v1/targets/llm/policy', { key: admin.key, body: demoPolicy() });
    expect(put.statusCode).toBe(200);
    expect(put.headers.etag).toMatch(/^"\d+"$/);
    const bad = await call('PUT', '/v1/targets/llm/policy', { key: admin.key, body: { maxCapacity: -1 } });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.issues[0].path).toBe('maxCapacity');

    const event = alarmEvent({ id: 'lambda-1', alarmName: 'tide-llm-high', value: 95, at: Date.now() });
    const ingested = await call('POST', '/v1/events/aws-eventbridge', { key: admin.key, body: event });
    expect(ingested.statusCode).toBe(200);
    expect(JSON.parse(ingested.body).decisions).toMatchObject([
      { targetId: 'llm', eventId: 'lambda-1', status: 'decided' },
    ]);
    const log = JSON.parse((await call('GET', '/v1/targets/llm/decisions', { key: admin.key, query: 'limit=5' })).body);
    expect(log.decisions.map((d: { eventId: string }) => d.eventId)).toEqual(['lambda-1']);
    // The dry run decides with the core this function loads at its first use, as the webhook did.
    const dryRun = await call('POST', '/v1/targets/llm/decide', {
      key: admin.key,
      body: {
        signal: { kind: 'metric', metric: 'GPUUtilization', value: 100, source: 'what-if', observedAt: Date.now() },
      },
    });
    expect(dryRun.statusCode, dryRun.body).toBe(200);
    expect(JSON.parse(dryRun.body).reasons.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(admin.key);
  });

  it('takes the per-key rate limit from TIDE_RATE_LIMIT (the functions have no flags), and refuses a bad one at start', async () => {
    const access = new MemoryAccessStore();
    const reader = generateApiKey(['read'], 'ci', 0);
    await access.createKey(reader.record);
    const handler = createHttpHandler(
      { TIDE_MODE: 'shadow', TIDE_RATE_LIMIT: '3' },
      { store: new MemoryStateStore(), access, write: () => {} },
    );
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const answer = (await handler(apiGatewayEvent('GET', '/v1/targets', { key: reader.key }) as never, context)) as {
        statusCode: number;
        headers: Record<string, string>;
      };
      statuses.push(answer.statusCode);
      if (i === 3) expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);

    const bad = createHttpHandler(
      { TIDE_MODE: 'shadow', TIDE_RATE_LIMIT: 'lots' },
      { store: new MemoryStateStore(), access, write: () => {} },
    );
    await expect(bad(apiGatewayEvent('GET', '/healthz') as never, context)).rejects.toThrow(
      'TIDE_RATE_LIMIT must be 1-100000000 requests per minute per key, was: "lots"',
    );
  });
});

describe('apiOptionsFromEnv', () => {
  it('reads TIDE_RATE_LIMIT as requests per minute per key, and nothing when it is unset or empty', () => {
    expect(apiOptionsFromEnv({})).toEqual({});
    expect(apiOptionsFromEnv({ TIDE_RATE_LIMIT: ' ' })).toEqual({});
    expect(apiOptionsFromEnv({ TIDE_RATE_LIMIT: '120000' })).toEqual({ rateLimit: 120_000, rateWindowMs: 60_000 });
    for (const bad of ['0', '-1', '1.5', '1e6', '100000001', 'abc'])
      expect(() => apiOptionsFromEnv({ TIDE_RATE_LIMIT: bad })).toThrow(`was: "${bad}"`);
  });
});
