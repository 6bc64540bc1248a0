import { describe, expect, it } from 'vitest';
import type { PolicyInput } from '../../../core/schema/policy.ts';
import { StateUnavailableError } from '../../../adapters/state/errors.ts';
import {
  createAwsHandler,
  formatOf,
  isEventBridgeEvent,
  isSnsEvent,
  isSqsEvent,
  RetryableIngestError,
  type LambdaContext,
} from '../../../functions/aws/handler.ts';
import { awsFixture, cpuPolicy, llamaPolicy, shadowRuntime, snsSigning } from './harness.ts';
import { createSenderAuth } from '../../../adapters/auth/index.ts';

const ALARM_AT = Date.parse('2019-10-02T17:04:45Z'); // just after the EventBridge alarm fixture's state change
const SNS_AT = Date.parse('2026-03-09T13:32:10Z'); // just after the SNS alarm fixture's state change
const ACCOUNT = '123456789012'; // the fixtures' account

async function harness(
  now: number,
  targets: Record<string, PolicyInput> = { 'cpu-fleet': cpuPolicy, 'llama-endpoint': llamaPolicy },
) {
  const h = await shadowRuntime(now, targets);
  const signing = await snsSigning();
  const auth = createSenderAuth({ aws: { accounts: [ACCOUNT] }, sns: signing.snsOptions, logger: h.runtime.logger });
  const unsigned = createAwsHandler(() => h.runtime, { auth });
  // The fixtures' SNS messages carry AWS's example signatures: re-signed here with the test CA's key.
  const handler = (event: unknown, context?: LambdaContext) => unsigned(signing.signAll(event), context);
  return { ...h, handler, unsigned, auth };
}

describe('telling Lambda event variants apart', () => {
  it.each([
    { fixture: 'sqs-batch-mixed.json', format: 'aws-sqs', sqs: true, sns: false, eventBridge: false },
    { fixture: 'sns-lambda-cloudwatch-alarm.json', format: 'aws-sns', sqs: false, sns: true, eventBridge: false },
    {
      fixture: 'eventbridge-cloudwatch-alarm-single-metric.json',
      format: 'aws-eventbridge',
      sqs: false,
      sns: false,
      eventBridge: true,
    },
    {
      fixture: 'eventbridge-scheduled-event.json',
      format: 'aws-eventbridge',
      sqs: false,
      sns: false,
      eventBridge: true,
    },
    {
      fixture: 'eventbridge-spot-interruption.json',
      format: 'aws-eventbridge',
      sqs: false,
      sns: false,
      eventBridge: true,
    },
  ])('$fixture is $format', ({ fixture, format, sqs, sns, eventBridge }) => {
    const event = awsFixture(fixture);
    expect([isSqsEvent(event), isSnsEvent(event), isEventBridgeEvent(event)]).toEqual([sqs, sns, eventBridge]);
    expect(formatOf(event).format).toBe(format);
  });

  it('parses anything else (EventBridge Scheduler with a Tide tick as input) by its shape', () => {
    expect(
      formatOf({
        tide: 'schedule-tick',
        schedule: 'tide-market-open',
        scheduledTime: '2026-03-09T13:25:00Z',
        executionId: 'x',
      }).format,
    ).toBe('auto');
    expect(formatOf(null).format).toBe('auto');
  });
});

describe('the Lambda handler in shadow mode', () => {
  it('decides on an EventBridge alarm: the decision lands in the audit log and the action is only logged', async () => {
    const { handler, memory, logs } = await harness(ALARM_AT);
    const result = await handler(awsFixture('eventbridge-cloudwatch-alarm-single-metric.json'));
    expect(result).toEqual({
      source: 'aws-eventbridge',
      decisions: [
        {
          targetId: 'cpu-fleet',
          eventId: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
          status: 'decided',
          outcome: 'scale-out',
          currentCapacity: 2,
          desiredCapacity: 4,
          actions: 1,
        },
      ],
      unmatched: 0,
      rejected: [],
    });
    const audit = await memory.readAudit('cpu-fleet');
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({
      eventId: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      actions: [{ type: 'set-capacity', poolId: 'primary', from: 2, to: 4 }],
    });
    expect(logs().filter((line) => line.message === 'shadow: would act')).toEqual([
      expect.objectContaining({
        level: 'info',
        mode: 'shadow',
        targetId: 'cpu-fleet',
        call: 'setCapacity',
        idempotencyKey: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92:0',
        request: expect.objectContaining({ poolId: 'primary', desired: 4 }),
      }),
    ]);
    // The outbox is closed: the shadow act counts as done.
    expect((await memory.load('cpu-fleet', 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92')).event?.status).toBe('done');
  });

  it('decides nothing new on a redelivery', async () => {
    const { handler, memory, logs } = await harness(ALARM_AT);
    const event = awsFixture('eventbridge-cloudwatch-alarm-single-metric.json');
    await handler(event);
    const again = await handler(event);
    expect(again).toMatchObject({ decisions: [{ targetId: 'cpu-fleet', status: 'duplicate', desiredCapacity: 4 }] });
    expect((await memory.readAudit('cpu-fleet')).entries).toHaveLength(1);
    expect(logs().filter((line) => line.message === 'shadow: would act')).toHaveLength(1);
  });

  it('decides on an SNS alarm, and the next decision starts from the capacity the first one set', async () => {
    const { handler, memory, clock } = await harness(SNS_AT);
    const event = awsFixture('sns-lambda-cloudwatch-alarm.json');
    const first = await handler(event);
    expect(first).toMatchObject({
      source: 'aws-sns',
      decisions: [{ targetId: 'llama-endpoint', status: 'decided', outcome: 'scale-out', currentCapacity: 1 }],
    });
    const firstDesired = (first as { decisions: { desiredCapacity: number }[] }).decisions[0]!.desiredCapacity;
    // A new alarm notification (another SNS message id) a few minutes later.
    clock.time += 10 * 60_000;
    const later = structuredClone(event);
    later.Records[0].Sns.MessageId = 'a0b1c2d3-0000-4000-8000-000000000001';
    const second = await handler(later);
    expect(second).toMatchObject({
      decisions: [{ targetId: 'llama-endpoint', status: 'decided', currentCapacity: firstDesired }],
    });
    expect((await memory.readAudit('llama-endpoint')).entries).toHaveLength(2);
  });

  it('acknowledges an event no target takes: no decision, no error, a log line', async () => {
    const { handler, memory, logs } = await harness(ALARM_AT);
    const result = await handler(awsFixture('eventbridge-spot-interruption.json'));
    expect(result).toEqual({ source: 'aws-eventbridge', decisions: [], unmatched: 1, rejected: [] });
    expect((await memory.readAudit('cpu-fleet')).entries).toEqual([]);
    expect(logs()).toContainEqual(
      expect.objectContaining({
        message: 'ingest: no target takes this signal; acknowledged',
        kind: 'spot-interruption',
        source: 'aws-ec2',
      }),
    );
  });

  it('feeds the schedule tick to targets whose trigger names the rule, and logs each decision', async () => {
    const { handler, logs } = await harness(Date.parse('2026-03-09T13:30:02Z'), {
      planned: { minCapacity: 1, triggers: [{ source: 'schedule', alarmName: 'tide-*-minute' }] },
      unplanned: { triggers: [{ source: 'schedule', alarmName: 'tide-market-open' }] },
    });
    const result = await handler(awsFixture('eventbridge-scheduled-event.json'));
    expect(result).toMatchObject({
      source: 'aws-eventbridge',
      decisions: [{ targetId: 'planned', status: 'decided', eventId: '89d1a02d-5ec7-412e-82f5-13505f849b41' }],
      unmatched: 0,
    });
    expect(logs()).toContainEqual(
      expect.objectContaining({
        message: 'ingest: decided',
        targetId: 'planned',
        signal: 'schedule-tick',
        status: 'decided',
      }),
    );
  });

  it('logs and returns on bad input instead of throwing (a retry would fail the same way)', async () => {
    const { handler } = await harness(ALARM_AT);
    const stateChange = {
      ...awsFixture('eventbridge-spot-interruption.json'),
      'detail-type': 'EC2 Instance State-change Notification',
      detail: { 'instance-id': 'i-1', state: 'stopping' },
    };
    const result = await handler(stateChange);
    expect(result).toMatchObject({
      source: 'aws-eventbridge',
      decisions: [],
      rejected: [{ error: { name: 'EventParseError', code: 'unsupported' } }],
    });
  });

  it('throws when the state store is unavailable, so Lambda retries the event', async () => {
    const { handler, failing } = await harness(ALARM_AT);
    failing.failNext('load', new StateUnavailableError('load cpu-fleet', 3));
    const attempt = handler(awsFixture('eventbridge-cloudwatch-alarm-single-metric.json'));
    await expect(attempt).rejects.toBeInstanceOf(RetryableIngestError);
    await expect(attempt).rejects.toThrow(/cpu-fleet: state store unavailable during load cpu-fleet/);
  });

  it('throws when the targets cannot be listed', async () => {
    const { handler, failing } = await harness(ALARM_AT);
    failing.failNext('listTargets', new StateUnavailableError('listTargets', 3));
    await expect(handler(awsFixture('eventbridge-cloudwatch-alarm-single-metric.json'))).rejects.toBeInstanceOf(
      RetryableIngestError,
    );
  });

  it('after the store comes back, the retried event is decided once', async () => {
    const { handler, failing, memory } = await harness(ALARM_AT);
    const event = awsFixture('eventbridge-cloudwatch-alarm-single-metric.json');
    failing.failNext('commit', new StateUnavailableError('commit cpu-fleet', 3), 1);
    await expect(handler(event)).rejects.toBeInstanceOf(RetryableIngestError);
    expect(await handler(event)).toMatchObject({ decisions: [{ status: 'decided' }] });
    expect(await handler(event)).toMatchObject({ decisions: [{ status: 'duplicate' }] });
    expect((await memory.readAudit('cpu-fleet')).entries).toHaveLength(1);
  });
});

describe('the Lambda handler with an SQS batch', () => {
  /** The spot warning, the SNS alarm, the tick and the truncated record of the mixed fixture. */
  function batch() {
    const event = awsFixture('sqs-batch-mixed.json');
    event.Records = event.Records.slice(0, 4);
    return event;
  }
  const ids = () => batch().Records.map((record: { messageId: string }) => record.messageId) as string[];

  it('reports exactly the malformed record in batchItemFailures and decides on the others', async () => {
    const { handler, memory } = await harness(SNS_AT);
    expect(await handler(batch())).toEqual({ batchItemFailures: [{ itemIdentifier: ids()[3] }] });
    // The SNS alarm (second record) fed llama-endpoint; the spot warning and the tick fed nothing.
    expect((await memory.readAudit('llama-endpoint')).entries).toEqual([
      expect.objectContaining({ eventId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e', outcome: 'scale-out' }),
    ]);
  });

  it('also reports a record whose decision failed retryably, and only that one', async () => {
    const { handler, failing, memory } = await harness(SNS_AT);
    failing.failNext('commit', new StateUnavailableError('commit llama-endpoint', 3), 1, 'llama-endpoint');
    expect(await handler(batch())).toEqual({
      batchItemFailures: [{ itemIdentifier: ids()[1] }, { itemIdentifier: ids()[3] }],
    });
    expect((await memory.readAudit('llama-endpoint')).entries).toEqual([]);
    // Lambda redelivers the failed records: the alarm is decided now, the bad record fails again.
    const redelivery = batch();
    redelivery.Records = [redelivery.Records[1], redelivery.Records[3]];
    expect(await handler(redelivery)).toEqual({ batchItemFailures: [{ itemIdentifier: ids()[3] }] });
    expect((await memory.readAudit('llama-endpoint')).entries).toHaveLength(1);
  });

  it('reports every record with signals when the targets cannot be listed, and never throws for a batch', async () => {
    const { handler, failing } = await harness(SNS_AT);
    failing.failNext('listTargets', new StateUnavailableError('listTargets', 3));
    const result = await handler(batch());
    expect(result).toEqual({ batchItemFailures: ids().map((itemIdentifier) => ({ itemIdentifier })) });
  });

  it('dead-letters every record when the batch as a whole cannot be read', async () => {
    const { handler } = await harness(SNS_AT);
    const broken = batch();
    delete broken.Records[2].body;
    expect(await handler(broken)).toEqual({ batchItemFailures: ids().map((itemIdentifier) => ({ itemIdentifier })) });
  });

  it("runs the records for different targets side by side, and one target's in the batch's order", async () => {
    const { handler, memory } = await harness(SNS_AT, { 'llama-a': llamaPolicy, 'llama-b': llamaPolicy });
    // Three alarm notifications, each taken by both targets: six deliveries, three per target.
    const alarm = batch().Records[1];
    const messageIds = ['m-1', 'm-2', 'm-3'];
    const event = {
      Records: messageIds.map((messageId) => {
        const body = JSON.parse(alarm.body);
        body.MessageId = `${messageId}-sns`;
        return { ...alarm, messageId, body: JSON.stringify(body) };
      }),
    };
    // Loads in flight at once, counted around the store the shell uses.
    let inFlight = 0;
    let most = 0;
    const load = memory.load.bind(memory);
    memory.load = async (...args) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      try {
        await new Promise((resolve) => setImmediate(resolve));
        return await load(...args);
      } finally {
        inFlight -= 1;
      }
    };
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(most).toBe(2);
    for (const targetId of ['llama-a', 'llama-b']) {
      const audit = await memory.readAudit(targetId);
      // Newest first: the batch's order, reversed.
      expect(audit.entries.map((entry) => entry.eventId)).toEqual(['m-3-sns', 'm-2-sns', 'm-1-sns']);
    }
  });

  it('redelivering the whole batch decides nothing new', async () => {
    const { handler, memory } = await harness(SNS_AT);
    await handler(batch());
    await handler(batch());
    expect((await memory.readAudit('llama-endpoint')).entries).toHaveLength(1);
  });
});
