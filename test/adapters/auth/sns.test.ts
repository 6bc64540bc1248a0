import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnsVerifier, snsHostAllowed, type SnsVerifierOptions } from '../../../adapters/auth/index.ts';
import { signSnsMessage } from '../../support/sns-signing.ts';
import { makeTestPki, startHttpsServer, type TestHttpsServer, type TestPki } from '../../support/tls.ts';

let pki: TestPki;
/** Plays SNS: serves the signing certificate and answers ConfirmSubscription. */
let sns: TestHttpsServer;
/** Another host, which must never be asked for anything. */
let elsewhere: TestHttpsServer;
let huge = 'x';

beforeAll(async () => {
  pki = makeTestPki();
  huge = 'A'.repeat(100_000);
  sns = await startHttpsServer(pki, (req, res) => {
    if (req.url === '/SimpleNotificationService-test.pem') res.end(pki.signingCert);
    else if (req.url === '/huge.pem') res.end(huge);
    else if (req.url === '/silent.pem')
      return; // never answers
    else if (req.url?.startsWith('/?Action=ConfirmSubscription')) res.end('<ConfirmSubscriptionResponse/>');
    else res.writeHead(404).end();
  });
  elsewhere = await startHttpsServer(pki, (_req, res) => res.end(pki.signingCert));
}, 60_000);
afterAll(async () => {
  await sns?.close();
  await elsewhere?.close();
});

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:tide-alarms';

function notification(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'Notification',
    MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
    TopicArn: TOPIC,
    Subject: 'ALARM: "tide-llama" in US East',
    Message: '{"AlarmName":"tide-llama","NewStateValue":"ALARM"}\nline two',
    Timestamp: '2026-03-09T13:32:08.000Z',
    ...extra,
  };
}

function confirmation(subscribeUrl: string): Record<string, unknown> {
  return {
    Type: 'SubscriptionConfirmation',
    MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
    Token:
      '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736',
    TopicArn: TOPIC,
    Message: `You have chosen to subscribe to the topic ${TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: subscribeUrl,
    Timestamp: '2026-03-09T13:00:00.000Z',
  };
}

const verifier = (options: SnsVerifierOptions = {}) =>
  createSnsVerifier({
    certHosts: [sns.host],
    fetch: { ca: pki.caCert, timeoutMs: 1500 },
    ...options,
  });
const certUrl = () => `${sns.origin}/SimpleNotificationService-test.pem`;

describe('SNS signatures', () => {
  it.each([
    { label: 'version 1 (SHA1)', version: '1' as const, message: notification() },
    { label: 'version 2 (SHA256)', version: '2' as const, message: notification() },
    { label: 'no Subject', version: '2' as const, message: notification({ Subject: undefined }) },
    { label: 'a null Subject (Lambda)', version: '1' as const, message: notification({ Subject: null }) },
  ])('accepts a notification signed with $label', async ({ version, message }) => {
    const signed = signSnsMessage(message, pki.signingKey, certUrl(), version);
    expect(await verifier().verify(signed)).toEqual({ ok: true, principal: TOPIC });
  });

  it("accepts Lambda's spelling of the certificate URL (SigningCertUrl)", async () => {
    const signed = signSnsMessage(notification(), pki.signingKey, certUrl(), '1', 'SigningCertUrl');
    expect((await verifier().verify(signed)).ok).toBe(true);
  });

  it.each([
    { label: 'the message', change: { Message: '{"AlarmName":"tide-llama","NewStateValue":"OK"}' } },
    { label: 'the topic', change: { TopicArn: 'arn:aws:sns:us-east-1:123456789012:other' } },
    { label: 'the type', change: { Type: 'SubscriptionConfirmation', SubscribeURL: 'x', Token: 't' } },
    { label: 'the signature version', change: { SignatureVersion: '2' } },
  ])('refuses a notification whose $label changed after signing', async ({ change }) => {
    const signed = { ...signSnsMessage(notification(), pki.signingKey, certUrl(), '1'), ...change };
    expect(await verifier().verify(signed)).toMatchObject({ ok: false, code: 'bad-credential' });
  });

  it.each([
    { label: 'missing', change: { Signature: undefined }, code: 'missing-credential' },
    { label: 'an unknown version', change: { SignatureVersion: '3' }, code: 'malformed' },
    { label: 'garbage', change: { Signature: 'not base64 at all' }, code: 'bad-credential' },
  ])('refuses a signature that is $label', async ({ change, code }) => {
    const signed = { ...signSnsMessage(notification(), pki.signingKey, certUrl()), ...change };
    expect(await verifier().verify(signed)).toMatchObject({ ok: false, code });
  });

  it('fetches the certificate only from an allowed host, over https, as a .pem', async () => {
    const before = elsewhere.requests.length;
    const cases = [
      `${elsewhere.origin}/SimpleNotificationService-test.pem`,
      `http://${sns.host}/SimpleNotificationService-test.pem`,
      `${sns.origin}/SimpleNotificationService-test.txt`,
      `https://user:pw@${sns.host}/SimpleNotificationService-test.pem`,
      'https://sns.us-east-1.amazonaws.com.evil.example/x.pem',
    ];
    for (const url of cases) {
      const signed = signSnsMessage(notification(), pki.signingKey, url);
      expect(await verifier().verify(signed), url).toMatchObject({ ok: false, code: 'not-allowed' });
    }
    expect(elsewhere.requests.length).toBe(before);
  });

  it('accepts only sns.<region>.amazonaws.com by default', async () => {
    const signed = signSnsMessage(notification(), pki.signingKey, certUrl());
    const result = await createSnsVerifier().verify(signed);
    expect(result).toMatchObject({ ok: false, code: 'not-allowed' });
    expect(result.ok || result.reason).toContain('not an allowed SNS host');
  });

  it('caches the certificate: many messages, one fetch', async () => {
    const v = verifier();
    const before = sns.requests.filter((url) => url.endsWith('test.pem')).length;
    const signed = signSnsMessage(notification(), pki.signingKey, certUrl(), '2');
    const results = await Promise.all([v.verify(signed), v.verify(signed), v.verify(signed)]);
    expect(await v.verify(signed)).toMatchObject({ ok: true });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(sns.requests.filter((url) => url.endsWith('test.pem')).length - before).toBe(1);
  });

  it('refuses a certificate larger than the limit, and one that never arrives, within the timeout', async () => {
    const tooBig = signSnsMessage(notification(), pki.signingKey, `${sns.origin}/huge.pem`);
    expect(await verifier().verify(tooBig)).toMatchObject({ ok: false, code: 'key-unavailable' });
    const silent = signSnsMessage(notification(), pki.signingKey, `${sns.origin}/silent.pem`);
    const started = Date.now();
    const result = await verifier({ fetch: { ca: pki.caCert, timeoutMs: 300 } }).verify(silent);
    expect(result).toMatchObject({ ok: false, code: 'key-unavailable' });
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('refuses a server whose certificate is not trusted (no CA configured)', async () => {
    const signed = signSnsMessage(notification(), pki.signingKey, certUrl());
    const result = await verifier({ fetch: { timeoutMs: 1500 } }).verify(signed);
    expect(result).toMatchObject({ ok: false, code: 'key-unavailable' });
  });

  it('refuses a signing certificate outside its validity', async () => {
    const signed = signSnsMessage(notification(), pki.signingKey, certUrl());
    const later = Date.now() + 400 * 86_400_000;
    expect(await verifier({ now: () => later }).verify(signed)).toMatchObject({ ok: false, code: 'bad-credential' });
  });

  it('refuses topics and accounts outside the allow-list before fetching anything', async () => {
    const signed = signSnsMessage(notification(), pki.signingKey, certUrl());
    expect(await verifier({ topicArns: ['arn:aws:sns:us-east-1:123456789012:other'] }).verify(signed)).toMatchObject({
      ok: false,
      code: 'not-allowed',
    });
    expect(await verifier({ accounts: ['111122223333'] }).verify(signed)).toMatchObject({
      ok: false,
      code: 'not-allowed',
    });
  });
});

describe('SNS subscription confirmation', () => {
  const subscribeUrl = (origin: string) =>
    `${origin}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=2336412f37fb687f5d51e6e2`;

  it('verifies the confirmation, then fetches its SubscribeURL once', async () => {
    const signed = signSnsMessage(confirmation(subscribeUrl(sns.origin)), pki.signingKey, certUrl());
    const before = sns.requests.filter((url) => url.includes('ConfirmSubscription')).length;
    expect(await verifier().confirmSubscription(signed)).toEqual({ ok: true, principal: TOPIC });
    expect(sns.requests.filter((url) => url.includes('ConfirmSubscription')).length - before).toBe(1);
  });

  it.each([
    {
      label: 'a SubscribeURL on another host (signed correctly)',
      message: () => signSnsMessage(confirmation(subscribeUrl(elsewhere.origin)), pki.signingKey, certUrl()),
    },
    {
      label: 'an unsigned confirmation',
      message: () => confirmation(subscribeUrl(elsewhere.origin)),
    },
    {
      label: 'a tampered SubscribeURL',
      message: () => ({
        ...signSnsMessage(confirmation(subscribeUrl(sns.origin)), pki.signingKey, certUrl()),
        SubscribeURL: subscribeUrl(elsewhere.origin),
      }),
    },
    {
      label: 'a SubscribeURL that is not ConfirmSubscription for its topic',
      message: () => signSnsMessage(confirmation(`${elsewhere.origin}/internal/admin`), pki.signingKey, certUrl()),
    },
  ])('never fetches $label', async ({ message }) => {
    const before = elsewhere.requests.length;
    const allowElsewhere = verifier({
      certHosts: [sns.host, elsewhere.host],
    });
    const strict = verifier();
    const result = await strict.confirmSubscription(message());
    expect(result.ok).toBe(false);
    // Even with the other host allowed, a message that is not a confirmation for its own topic is not fetched.
    if (!message().SubscribeURL?.toString().includes('ConfirmSubscription'))
      expect((await allowElsewhere.confirmSubscription(message())).ok).toBe(false);
    expect(elsewhere.requests.length).toBe(before);
  });
});

describe('SNS hosts', () => {
  it.each([
    { host: 'sns.us-east-1.amazonaws.com', region: undefined, ok: true },
    { host: 'sns.cn-north-1.amazonaws.com.cn', region: undefined, ok: true },
    { host: 'sns.us-gov-west-1.amazonaws.com', region: undefined, ok: true },
    { host: 'sns.us-east-1.amazonaws.com.evil.example', region: undefined, ok: false },
    { host: 'sns.us-east-1.amazonaws.com:8443', region: undefined, ok: false },
    { host: 'evilsns.us-east-1.amazonaws.com', region: undefined, ok: false },
    { host: 'sqs.us-east-1.amazonaws.com', region: undefined, ok: false },
    { host: 'sns.us-east-1.amazonaws.com', region: 'us-east-1', ok: true },
    { host: 'sns.eu-west-1.amazonaws.com', region: 'us-east-1', ok: false },
  ])('$host (region $region): $ok', ({ host, region, ok }) => {
    expect(snsHostAllowed(host, undefined, region)).toBe(ok);
  });

  it('takes exactly the configured hosts when given', () => {
    expect(snsHostAllowed('127.0.0.1:8443', ['127.0.0.1:8443'])).toBe(true);
    expect(snsHostAllowed('sns.us-east-1.amazonaws.com', ['127.0.0.1:8443'])).toBe(false);
  });
});
