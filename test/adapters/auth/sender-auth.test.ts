import { describe, expect, it } from 'vitest';
import { createSenderAuth, senderAuthOptionsFromEnv, SenderAuthConfigError } from '../../../adapters/auth/index.ts';

const SECRET = 'eg-secret-0123456789abcdef';
const ACCOUNT = '123456789012';

function auth(lines: string[] = []) {
  return createSenderAuth({
    aws: {
      accounts: [ACCOUNT],
      rules: [`arn:aws:events:us-east-1:${ACCOUNT}:rule/tide-market-open`],
      schedules: [],
    },
    eventGrid: { secret: SECRET, subscriptions: ['tide-ml-runs'] },
    logger: { warn: (message, fields) => lines.push(JSON.stringify({ message, ...fields })) },
  });
}

const eventBridge = (extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'EC2 Spot Instance Interruption Warning',
  source: 'aws.ec2',
  account: ACCOUNT,
  time: '2026-03-09T14:02:11Z',
  region: 'us-east-2',
  resources: [],
  detail: { 'instance-id': 'i-1', 'instance-action': 'terminate' },
  ...extra,
});

describe('AWS bodies on the queue', () => {
  it.each([
    { label: 'an EventBridge event from an allowed account', body: eventBridge(), ok: true },
    { label: 'an EventBridge event from another account', body: eventBridge({ account: '999999999999' }), ok: false },
    { label: 'an EventBridge event with no account', body: eventBridge({ account: undefined }), ok: false },
    {
      label: 'a Scheduled Event of an allowed rule',
      body: eventBridge({
        'detail-type': 'Scheduled Event',
        resources: [`arn:aws:events:us-east-1:${ACCOUNT}:rule/tide-market-open`],
      }),
      ok: true,
    },
    {
      label: 'a Scheduled Event of another rule in the allowed account',
      body: eventBridge({
        'detail-type': 'Scheduled Event',
        resources: [`arn:aws:events:us-east-1:${ACCOUNT}:rule/other`],
      }),
      ok: false,
    },
    {
      label: 'a tick from a schedule of the allowed account',
      body: { tide: 'schedule-tick', schedule: `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/open` },
      ok: true,
    },
    {
      label: 'a tick from a schedule of another account',
      body: { tide: 'schedule-tick', schedule: 'arn:aws:scheduler:us-east-1:999999999999:schedule/default/open' },
      ok: false,
    },
    {
      label: 'a raw alarm of the allowed account',
      body: { AlarmName: 'a', AWSAccountId: ACCOUNT, AlarmArn: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:a` },
      ok: true,
    },
    {
      label: 'a raw alarm whose ARN names another account',
      body: { AlarmName: 'a', AWSAccountId: ACCOUNT, AlarmArn: 'arn:aws:cloudwatch:us-east-1:999999999999:alarm:a' },
      ok: false,
    },
    {
      label: 'an SNS notification with no SNS verifier configured',
      body: { Type: 'Notification', TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:t`, Message: '{}' },
      ok: false,
    },
    {
      label: 'a CloudEvent (no AWS origin)',
      body: { specversion: '1.0', type: 'dev.tide.metric', source: 'x' },
      ok: false,
    },
    { label: 'an array', body: [eventBridge()], ok: false },
  ])('$label: ok $ok', async ({ body, ok }) => {
    expect((await auth().authenticate('aws-sqs', { body })).ok).toBe(ok);
  });
});

describe('Event Grid deliveries and the validation handshake', () => {
  const validation = [
    {
      id: '2d1781af',
      topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws',
      subject: '',
      data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' },
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: '2026-03-09T14:00:00Z',
    },
  ];
  it.each([
    {
      label: 'the secret in the query and a configured subscription',
      headers: { 'aeg-subscription-name': 'TIDE-ML-RUNS' },
      query: { code: SECRET },
      ok: true,
    },
    {
      label: 'the secret as a bearer header',
      headers: { Authorization: `Bearer ${SECRET}`, 'Aeg-Subscription-Name': 'TIDE-ML-RUNS' },
      ok: true,
    },
    { label: 'no secret', headers: { 'aeg-subscription-name': 'TIDE-ML-RUNS' }, ok: false },
    {
      label: 'a wrong secret',
      headers: { 'aeg-subscription-name': 'TIDE-ML-RUNS' },
      query: { code: `${SECRET}x` },
      ok: false,
    },
    {
      label: 'the secret but another subscription',
      headers: { 'aeg-subscription-name': 'SOMEONE-ELSE' },
      query: { code: SECRET },
      ok: false,
    },
    { label: 'the secret but no subscription name', headers: {}, query: { code: SECRET }, ok: false },
  ])('$label: ok $ok', async ({ headers, query, ok }) => {
    const result = await auth().authenticate('azure-eventgrid', {
      headers,
      ...(query ? { query } : {}),
      body: validation,
    });
    expect(result.ok).toBe(ok);
  });
});

describe('failures', () => {
  it('are counted by source and code, and logged without the payload or the secret', async () => {
    const lines: string[] = [];
    const a = auth(lines);
    const payloadMarker = 'PAYLOAD-MARKER-d41d8cd9';
    await a.authenticate('aws-sqs', {
      body: eventBridge({ account: '999999999999', detail: { note: payloadMarker } }),
    });
    await a.authenticate('aws-sqs', { body: eventBridge({ account: '888888888888' }) });
    await a.authenticate('azure-eventgrid', {
      headers: { 'aeg-subscription-name': 'X', authorization: `Bearer ${SECRET}-wrong` },
      body: [{ data: payloadMarker }],
    });
    expect(Object.fromEntries(a.failures)).toEqual({ 'aws-sqs/not-allowed': 2, 'azure-eventgrid/bad-credential': 1 });
    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).not.toContain(payloadMarker);
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(JSON.parse(lines[0]!)).toMatchObject({ source: 'aws-sqs', code: 'not-allowed' });
  });

  it('refuses a source with no check configured (webhooks get their keys from the HTTP API)', async () => {
    const a = createSenderAuth({});
    for (const source of ['aws-sns', 'aws-sqs', 'gcp-pubsub', 'azure-eventgrid', 'alertmanager', 'cloudevents'])
      expect((await a.authenticate(source, { body: {} })).ok, source).toBe(false);
  });
});

describe('configuration from the environment', () => {
  it('defaults the accounts to the function’s own and reads the lists', () => {
    const options = senderAuthOptionsFromEnv({ TIDE_SNS_TOPICS: 'arn:a, arn:b' }, ACCOUNT);
    expect(options.aws?.accounts).toEqual([ACCOUNT]);
    expect(options.sns?.topicArns).toEqual(['arn:a', 'arn:b']);
    expect(senderAuthOptionsFromEnv({ TIDE_AWS_ACCOUNTS: '111122223333' }, ACCOUNT).aws?.accounts).toEqual([
      '111122223333',
    ]);
  });

  it.each([
    { TIDE_AWS_ACCOUNTS: 'everyone' },
    { TIDE_PUBSUB_AUDIENCE: 'https://x' },
    { TIDE_EVENTGRID_SECRET: 'short' },
  ])('refuses a bad setting without echoing secrets (%o)', (env) => {
    let error: unknown;
    try {
      senderAuthOptionsFromEnv(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SenderAuthConfigError);
    if (env.TIDE_EVENTGRID_SECRET) expect((error as Error).message).not.toContain(env.TIDE_EVENTGRID_SECRET);
  });
});
