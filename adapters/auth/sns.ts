/**
 * Amazon SNS message signatures (HTTPS subscriptions, SNS → SQS without raw delivery, and Lambda's
 * `Records[].Sns`). As AWS documents it: build the string to sign from fixed fields in a fixed order, fetch
 * the X.509 certificate from `SigningCertURL`, only over https from an SNS host, and check the RSA signature
 * with SHA1 (`SignatureVersion` 1) or SHA256 (2). `SubscribeURL` is fetched only after the message verifies,
 * and only on the same host pattern with `Action=ConfirmSubscription` for the message's own topic, so a
 * forged confirmation cannot make Tide request an arbitrary URL (server-side request forgery).
 */
import { createVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { allow, deny, quote, type AuthResult } from './errors.ts';
import { httpsGet, KeyCache, type KeyFetcher, type KeyFetchOptions } from './fetch.ts';

/** An SNS message as SNS posts it over HTTPS (Lambda spells the URL fields `SigningCertUrl`, `SubscribeUrl`). */
export type SnsMessage = Record<string, unknown>;

/** Fields of the string to sign, in AWS's order. `Subject` is left out of a Notification that has none. */
const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

const HASH_OF_VERSION: Record<string, string> = { '1': 'RSA-SHA1', '2': 'RSA-SHA256' };

/** Options of {@link createSnsVerifier}. */
export interface SnsVerifierOptions {
  /**
   * Hosts (`URL.host`: name, and port when not 443) the certificate and `SubscribeURL` may be on, exactly.
   * Default: `sns.<region>.amazonaws.com` (and `.com.cn`) for `region`, else that pattern for any region.
   */
  certHosts?: readonly string[];
  region?: string;
  /** Topic ARNs accepted; empty or absent: any topic of an allowed account. */
  topicArns?: readonly string[];
  /** AWS accounts whose topics are accepted (the account field of `TopicArn`); absent: any. */
  accounts?: readonly string[];
  /** Certificate fetch: default 2 s, 16 KiB, the system's CAs. */
  fetch?: Partial<KeyFetchOptions>;
  /** Certificates kept (default 16) and for how long (default 1 h). */
  cacheEntries?: number;
  cacheTtlMs?: number;
  /** Replaceable for embedding; the default is {@link httpsGet}. */
  get?: KeyFetcher;
  now?: () => number;
}

export interface SnsVerifier {
  /** Check the message's signature and sender. */
  verify(message: SnsMessage): Promise<AuthResult>;
  /** Verify a `SubscriptionConfirmation`, then confirm it by fetching its `SubscribeURL` (checked first). */
  confirmSubscription(message: SnsMessage): Promise<AuthResult>;
}

/** The string SNS signed, or undefined when a field it needs is missing or not a string. */
export function snsStringToSign(message: SnsMessage): string | undefined {
  const type = message.Type;
  const fields = type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  if (type !== 'Notification' && type !== 'SubscriptionConfirmation' && type !== 'UnsubscribeConfirmation')
    return undefined;
  let text = '';
  for (const field of fields) {
    const value = field === 'SubscribeURL' ? (message.SubscribeURL ?? message.SubscribeUrl) : message[field];
    if (field === 'Subject' && (value === undefined || value === null)) continue;
    if (typeof value !== 'string') return undefined;
    text += `${field}\n${value}\n`;
  }
  return text;
}

/** SNS's own hosts: `sns.<region>.amazonaws.com`, and `.com.cn` in China. */
const SNS_HOST = /^sns\.[a-z]{2}-[a-z0-9-]{1,30}\.amazonaws\.com(\.cn)?$/;

/** Whether `host` may serve SNS certificates and confirmations (exact names; no pattern built at run time). */
export function snsHostAllowed(host: string, certHosts: readonly string[] | undefined, region?: string): boolean {
  if (certHosts && certHosts.length > 0) return certHosts.includes(host);
  if (region) return host === `sns.${region}.amazonaws.com` || host === `sns.${region}.amazonaws.com.cn`;
  return SNS_HOST.test(host);
}

export function createSnsVerifier(options: SnsVerifierOptions = {}): SnsVerifier {
  const hostAllowed = (host: string) => snsHostAllowed(host, options.certHosts, options.region);
  const fetchOptions: KeyFetchOptions = { timeoutMs: 2000, maxBytes: 16 * 1024, ...options.fetch };
  const get = options.get ?? httpsGet;
  const now = options.now ?? Date.now;
  const certificates = new KeyCache<X509Certificate>(options.cacheEntries ?? 16, options.cacheTtlMs ?? 3_600_000, now);
  const topics = new Set(options.topicArns ?? []);
  const accounts = options.accounts ? new Set(options.accounts) : undefined;

  /** An https URL on an allowed host, with nothing that could point elsewhere (credentials, fragment). */
  const allowedUrl = (raw: unknown, field: string): URL | string => {
    if (typeof raw !== 'string') return `${field} is missing`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return `${field} is not a URL, was: ${quote(raw)}`;
    }
    if (url.protocol !== 'https:') return `${field} must be https, was: ${quote(url.protocol)}`;
    if (url.username || url.password || url.hash) return `${field} may carry no credentials or fragment`;
    if (!hostAllowed(url.host)) return `${field} host is not an allowed SNS host, was: ${quote(url.host)}`;
    return url;
  };

  const certificate = (url: URL): Promise<X509Certificate> =>
    certificates.get(url.href, async () => new X509Certificate(await get(url, fetchOptions)));

  const verify = async (message: SnsMessage): Promise<AuthResult> => {
    const topic = message.TopicArn;
    if (typeof topic !== 'string') return deny('malformed', 'TopicArn is missing');
    const account = topic.split(':')[4] ?? '';
    if (accounts && !accounts.has(account))
      return deny('not-allowed', `topic account is not allowed, was: ${quote(account)}`);
    if (topics.size > 0 && !topics.has(topic)) return deny('not-allowed', `topic is not allowed, was: ${quote(topic)}`);
    const version = String(message.SignatureVersion ?? '');
    const hash = HASH_OF_VERSION[version];
    if (!hash)
      return deny('malformed', `SignatureVersion must be 1 or 2, was: ${quote(message.SignatureVersion ?? null)}`);
    if (typeof message.Signature !== 'string' || message.Signature === '')
      return deny('missing-credential', 'Signature is missing');
    const toSign = snsStringToSign(message);
    if (toSign === undefined) return deny('malformed', 'a field of the string to sign is missing or not a string');
    const url = allowedUrl(message.SigningCertURL ?? message.SigningCertUrl, 'SigningCertURL');
    if (typeof url === 'string') return deny('not-allowed', url);
    if (!url.pathname.endsWith('.pem')) return deny('not-allowed', 'SigningCertURL must name a .pem file');
    let cert: X509Certificate;
    try {
      cert = await certificate(url);
    } catch (error) {
      return deny('key-unavailable', `signing certificate unavailable: ${(error as Error).message}`);
    }
    const at = now();
    if (Date.parse(cert.validFrom) > at || Date.parse(cert.validTo) < at)
      return deny('bad-credential', 'the signing certificate is not valid now');
    let valid = false;
    try {
      valid = createVerify(hash)
        .update(toSign, 'utf8')
        .verify(cert.publicKey as KeyObject, message.Signature, 'base64');
    } catch {
      valid = false;
    }
    return valid ? allow(topic) : deny('bad-credential', `SNS signature (version ${version}) does not verify`);
  };

  return {
    verify,
    async confirmSubscription(message) {
      if (message.Type !== 'SubscriptionConfirmation')
        return deny('malformed', `not a subscription confirmation, was: ${quote(message.Type ?? null)}`);
      const verified = await verify(message);
      if (!verified.ok) return verified;
      const url = allowedUrl(message.SubscribeURL ?? message.SubscribeUrl, 'SubscribeURL');
      if (typeof url === 'string') return deny('not-allowed', url);
      if (
        url.searchParams.get('Action') !== 'ConfirmSubscription' ||
        url.searchParams.get('TopicArn') !== message.TopicArn
      )
        return deny('not-allowed', "SubscribeURL is not a ConfirmSubscription for the message's topic");
      try {
        await get(url, fetchOptions);
      } catch (error) {
        return deny('key-unavailable', `subscription not confirmed: ${(error as Error).message}`);
      }
      return verified;
    },
  };
}
