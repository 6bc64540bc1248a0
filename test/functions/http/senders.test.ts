/**
 * Signed senders through `POST /v1/events/{source}`: SNS signatures (SignatureVersion 1 and 2) checked
 * against a locally generated certificate served by an SNS stand-in on an allow-listed host, the SNS
 * subscription confirmation fetched on that host only, and the Event Grid validation handshake answered only
 * for a configured subscription carrying the secret. The API key is needed as well in every case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSenderAuth } from '../../../adapters/auth/index.ts';
import { signSnsMessage } from '../../support/sns-signing.ts';
import { makeTestPki, startHttpsServer, type TestHttpsServer, type TestPki } from '../../support/tls.ts';
import { demoPolicy, demoTarget, startApi } from './support.ts';

let pki: TestPki;
let sns: TestHttpsServer;
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:tide-alarms';
const SECRET = 'event-grid-secret-0123456789';

beforeAll(async () => {
  pki = makeTestPki();
  sns = await startHttpsServer(pki, (req, res) => {
    if (req.url === '/SimpleNotificationService-test.pem') res.end(pki.signingCert);
    else if (req.url?.startsWith('/?Action=ConfirmSubscription')) res.end('<ConfirmSubscriptionResponse/>');
    else res.writeHead(404).end();
  });
}, 60_000);
afterAll(async () => {
  await sns?.close();
});

async function api() {
  const senders = createSenderAuth({
    sns: { certHosts: [sns.host], fetch: { ca: pki.caCert, timeoutMs: 2000 } },
    eventGrid: { secret: SECRET, subscriptions: ['tide-sub'] },
  });
  const started = await startApi({ senders });
  await started.request('PUT', '/v1/targets/llm', { key: started.keys.write, body: demoTarget('llm') });
  await started.request('PUT', '/v1/targets/llm/policy', {
    key: started.keys.write,
    body: demoPolicy({ triggers: [{ source: 'aws-cloudwatch', alarmName: 'tide-*' }] }),
  });
  return started;
}

function alarmNotification(id: string) {
  return {
    Type: 'Notification',
    MessageId: id,
    TopicArn: TOPIC,
    Subject: 'ALARM: "tide-llm-high"',
    Message: JSON.stringify({
      AlarmName: 'tide-llm-high',
      AWSAccountId: '123456789012',
      NewStateValue: 'ALARM',
      NewStateReason:
        'Threshold Crossed: 1 datapoint [95.0 (02/03/26 13:59:00)] was greater than the threshold (70.0).',
      StateChangeTime: '2026-03-02T13:59:30.000+0000',
      Region: 'US East (N. Virginia)',
      OldStateValue: 'OK',
      Trigger: {
        MetricName: 'GPUUtilization',
        Namespace: '/aws/sagemaker/Endpoints',
        Threshold: 70,
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [],
      },
    }),
    Timestamp: '2026-03-02T13:59:31.000Z',
  };
}

describe('SNS over HTTPS', () => {
  it.each(['1', '2'] as const)('decides on a notification signed with SignatureVersion %s', async (version) => {
    const { request, keys } = await api();
    const signed = signSnsMessage(
      alarmNotification(`sns-${version}`),
      pki.signingKey,
      `${sns.origin}/SimpleNotificationService-test.pem`,
      version,
    );
    const response = await request('POST', '/v1/events/aws-sns', {
      key: keys.ingest,
      raw: JSON.stringify(signed),
      headers: { 'content-type': 'text/plain; charset=UTF-8' },
    });
    const body = (await response.json()) as { decisions: { targetId: string; status: string }[] };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.decisions).toMatchObject([{ targetId: 'llm', status: 'decided' }]);
  });

  it('refuses a notification changed after signing (403), and one without a key (401)', async () => {
    const { request, keys, runtime } = await api();
    const signed = signSnsMessage(
      alarmNotification('sns-x'),
      pki.signingKey,
      `${sns.origin}/SimpleNotificationService-test.pem`,
    );
    const forged = { ...signed, Message: (signed.Message as string).replace('ALARM', 'OK') };
    const refused = await request('POST', '/v1/events/auto', { key: keys.ingest, body: forged });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await request('POST', '/v1/events/aws-sns', { body: signed })).status).toBe(401);
    expect((await runtime.store.readAudit('llm')).entries).toEqual([]);
    expect(await (await request('GET', '/metrics', { key: keys.read })).text()).toMatch(
      /tide_webhook_rejections_total\{reason="sender-unverified"\} 1/,
    );
  });

  it('confirms a subscription by fetching SubscribeURL on the allowed host only', async () => {
    const { request, keys } = await api();
    const confirmation = (url: string) =>
      signSnsMessage(
        {
          Type: 'SubscriptionConfirmation',
          MessageId: 'c1',
          Token: 'token-1',
          TopicArn: TOPIC,
          Message: 'You have chosen to subscribe.',
          SubscribeURL: url,
          Timestamp: '2026-03-02T13:00:00.000Z',
        },
        pki.signingKey,
        `${sns.origin}/SimpleNotificationService-test.pem`,
      );
    const before = sns.requests.length;
    const ok = await request('POST', '/v1/events/aws-sns', {
      key: keys.ingest,
      body: confirmation(
        `${sns.origin}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=token-1`,
      ),
    });
    expect(ok.status).toBe(200);
    expect(sns.requests.slice(before).some((r) => r.startsWith('/?Action=ConfirmSubscription'))).toBe(true);
    const elsewhere = await request('POST', '/v1/events/aws-sns', {
      key: keys.ingest,
      body: confirmation(
        `https://example.invalid/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=token-1`,
      ),
    });
    expect(elsewhere.status).toBe(403);
  });
});

describe('Event Grid', () => {
  const validation = [
    {
      id: 'v1',
      topic: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.EventGrid/topics/t',
      subject: '',
      data: {
        validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6',
        validationUrl: 'https://example.invalid/validate',
      },
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: '2026-03-02T13:00:00Z',
      metadataVersion: '1',
      dataVersion: '2',
    },
  ];

  it('answers the validation handshake for a configured subscription with the secret, and refuses it otherwise', async () => {
    const { request, keys } = await api();
    const ok = await request('POST', `/v1/events/azure-eventgrid?code=${SECRET}`, {
      key: keys.ingest,
      body: validation,
      headers: { 'aeg-subscription-name': 'TIDE-SUB', 'aeg-event-type': 'SubscriptionValidation' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    const wrongSubscription = await request('POST', `/v1/events/auto?code=${SECRET}`, {
      key: keys.ingest,
      body: validation,
      headers: { 'aeg-subscription-name': 'OTHER', 'aeg-event-type': 'SubscriptionValidation' },
    });
    expect(wrongSubscription.status).toBe(403);
    const noSecret = await request('POST', '/v1/events/azure-eventgrid', {
      key: keys.ingest,
      body: validation,
      headers: { 'aeg-subscription-name': 'TIDE-SUB' },
    });
    expect(noSecret.status).toBe(403);
  });
});
