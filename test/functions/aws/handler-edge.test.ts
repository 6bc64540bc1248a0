/**
 * The handler's edge: senders authenticated before anything is parsed, and Lambda's deadline watched so a
 * state store that stops answering cannot make the function outlive its timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSenderAuth } from '../../../adapters/auth/index.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { ioredisTransport } from '../../../adapters/state/ioredis-transport.ts';
import { RedisStateStore } from '../../../adapters/state/redis-store.ts';
import { createAwsHandler, startRuntime } from '../../../functions/aws/handler.ts';
import { createRuntime } from '../../../functions/shell/runtime.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { awsFixture, endpointTarget, llamaPolicy, shadowRuntime, snsSigning } from './harness.ts';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';

const SNS_AT = Date.parse('2026-03-09T13:32:10Z');
const ACCOUNT = '123456789012';

async function harness() {
  const h = await shadowRuntime(SNS_AT, { 'llama-endpoint': llamaPolicy });
  const signing = await snsSigning();
  const auth = createSenderAuth({ aws: { accounts: [ACCOUNT] }, sns: signing.snsOptions, logger: h.runtime.logger });
  return { ...h, signing, auth, handler: createAwsHandler(() => h.runtime, { auth }) };
}

/** The mixed batch's SNS alarm record (record 1), as it came. */
function snsRecordBatch() {
  const event = awsFixture('sqs-batch-mixed.json');
  event.Records = [event.Records[1]];
  return event;
}

describe('senders on the queue', () => {
  it('decides on a signed SNS body, and refuses the same body with a forged or missing signature', async () => {
    const { handler, memory, signing, lines } = await harness();
    const signed = signing.signAll(snsRecordBatch());
    const forged = structuredClone(signed);
    const body = JSON.parse(forged.Records[0].body);
    body.Message = body.Message.replace('"ALARM"', '"OK"');
    forged.Records[0].body = JSON.stringify(body);
    forged.Records[0].messageId = 'forged-1';
    const unsigned = snsRecordBatch();
    unsigned.Records[0].messageId = 'unsigned-1';
    expect(await handler(forged)).toEqual({ batchItemFailures: [{ itemIdentifier: 'forged-1' }] });
    expect(await handler(unsigned)).toEqual({ batchItemFailures: [{ itemIdentifier: 'unsigned-1' }] });
    expect((await memory.readAudit('llama-endpoint')).entries).toEqual([]);
    expect(await handler(signed)).toEqual({ batchItemFailures: [] });
    expect((await memory.readAudit('llama-endpoint')).entries).toHaveLength(1);
    const refusals = lines.filter((line) => line.includes('sender not authenticated'));
    expect(refusals).toHaveLength(2);
    // Logged with the record id and the reason, never the message.
    expect(refusals.join('\n')).not.toContain('tide-llama-endpoint-concurrency-high');
    expect(refusals.join('\n')).toContain('forged-1');
  });

  it('refuses bodies from an account outside the allow-list, and keeps the others of the batch', async () => {
    const { handler, signing } = await harness();
    const event = signing.signAll(awsFixture('sqs-batch-mixed.json'));
    event.Records = event.Records.slice(0, 3);
    const spot = JSON.parse(event.Records[0].body);
    spot.account = '999999999999';
    event.Records[0].body = JSON.stringify(spot);
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0].messageId }] });
  });

  it('refuses an SNS record whose signature does not verify, and a direct event from another account', async () => {
    const { handler, memory, auth } = await harness();
    const { signing } = await harness();
    const lambdaSns = awsFixture('sns-lambda-cloudwatch-alarm.json'); // AWS's example: its host is not allowed here
    expect(await handler(lambdaSns)).toMatchObject({
      source: 'aws-sns',
      decisions: [],
      rejected: [{ error: { name: 'SenderAuthError', code: 'not-allowed' } }],
    });
    const tampered = signing.signAll(lambdaSns);
    tampered.Records[0].Sns.Message = tampered.Records[0].Sns.Message.replace('"ALARM"', '"OK"');
    expect(await handler(tampered)).toMatchObject({ rejected: [{ error: { code: 'bad-credential' } }] });
    const foreign = { ...awsFixture('eventbridge-cloudwatch-alarm-single-metric.json'), account: '999999999999' };
    expect(await handler(foreign)).toMatchObject({ decisions: [], rejected: [{ error: { code: 'not-allowed' } }] });
    expect((await memory.readAudit('llama-endpoint')).entries).toEqual([]);
    expect(Object.fromEntries(auth.failures)).toEqual({
      'aws-sns/not-allowed': 1,
      'aws-sns/bad-credential': 1,
      'aws-eventbridge/not-allowed': 1,
    });
  });

  it("accepts by default only the function's own account (from the context's function ARN)", async () => {
    const h = await shadowRuntime(SNS_AT, { 'llama-endpoint': llamaPolicy });
    const handler = createAwsHandler(() => h.runtime);
    const context = (account: string) => ({
      getRemainingTimeInMillis: () => 30_000,
      invokedFunctionArn: `arn:aws:lambda:us-east-1:${account}:function:tide`,
    });
    const tick = awsFixture('eventbridge-scheduled-event.json');
    expect(await handler(tick, context('999999999999'))).toMatchObject({
      rejected: [{ error: { code: 'not-allowed' } }],
    });
    const other = createAwsHandler(() => h.runtime);
    expect(await other(tick, context(ACCOUNT))).toMatchObject({ rejected: [] });
  });
});

describe('the deadline', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  }, 60_000);
  afterAll(async () => {
    redis?.resume();
    await redis?.close();
  });

  // 6 s: the first record uses up its store attempts (~3 s) and the rest would not fit; 2.5 s: the deadline
  // cuts the first record's own attempts short.
  it.each([6000, 2500])(
    'with Redis frozen, returns within %i ms with every record reported failed',
    async (budgetMs) => {
      // 1 s per attempt and 3 attempts per call: ~3 s per record without the deadline, ~18 s for this batch.
      const store = new RedisStateStore(ioredisTransport({ url: redis.url, timeoutMs: 1000 }), {
        namespace: `deadline-${budgetMs}`,
        timeoutMs: 1000,
        retries: 2,
      });
      await store.putTarget(endpointTarget('cpu-fleet'));
      await store.putPolicy(
        'cpu-fleet',
        PolicySchema.parse({
          minCapacity: 1,
          maxCapacity: 8,
          triggers: [{ source: 'aws-ec2' }],
        }),
      );
      await store.load('cpu-fleet', 'warm-up'); // connected and scripts loaded before the freeze
      const runtime = createRuntime({ TIDE_MODE: 'shadow' }, { eventSources: EVENT_SOURCES, store, write: () => {} });
      const auth = createSenderAuth({ aws: { accounts: [ACCOUNT] } });
      const handler = createAwsHandler(() => runtime, { auth, reserveMs: 1000 });
      const spot = awsFixture('sqs-batch-mixed.json').Records[0];
      const event = {
        Records: Array.from({ length: 6 }, (_, i) => {
          const body = JSON.parse(spot.body);
          body.id = `spot-${i}`;
          return { ...spot, messageId: `m${i}-${budgetMs}`, body: JSON.stringify(body) };
        }),
      };
      // Warm: the instance has its target list cached, so each frozen record fails on its own load.
      const warm = {
        Records: [
          {
            ...event.Records[0]!,
            messageId: 'warm',
            body: JSON.stringify({ ...JSON.parse(spot.body), id: `warm-${budgetMs}` }),
          },
        ],
      };
      expect(await handler(warm, { getRemainingTimeInMillis: () => 30_000 })).toEqual({ batchItemFailures: [] });
      const started = Date.now();
      const context = { getRemainingTimeInMillis: () => budgetMs - (Date.now() - started) };
      redis.pause();
      try {
        const result = await handler(event, context);
        const elapsed = Date.now() - started;
        expect(result).toEqual({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) });
        expect(elapsed).toBeLessThan(budgetMs);
      } finally {
        redis.resume();
        await store.close();
      }
    },
    60_000,
  );
});

describe('start-up errors', () => {
  it.each([
    'redis://:s3cretpassword@bad host:6379',
    'redis://admin:s3cretpassword@host:port/0',
    'redis://:s3cretpassword@[::1',
  ])('never print the password of a malformed REDIS_URL (%s)', (url) => {
    const lines: string[] = [];
    expect(() => startRuntime({ TIDE_MODE: 'shadow', REDIS_URL: url }, (line) => lines.push(line))).toThrow();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('cannot start');
    expect(lines[0]).not.toContain('s3cretpassword');
  });
});
