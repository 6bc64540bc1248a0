/**
 * Signs SNS messages as SNS does, written from AWS's documentation independently of adapters/auth/sns.ts:
 * "Key\nValue\n" for Message, MessageId, Subject (if present), Timestamp, TopicArn, Type (notifications) or
 * Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type (confirmations); RSA with SHA1 for
 * SignatureVersion 1 and SHA256 for 2; the signature base64.
 */
import { createSign } from 'node:crypto';

export function signSnsMessage(
  message: Record<string, unknown>,
  signingKey: string,
  certUrl: string,
  version: '1' | '2' = '1',
  urlField: 'SigningCertURL' | 'SigningCertUrl' = 'SigningCertURL',
): Record<string, unknown> {
  const names =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const lines: string[] = [];
  for (const name of names) {
    const value = message[name] ?? (name === 'SubscribeURL' ? message.SubscribeUrl : undefined);
    if (value === undefined || value === null) continue;
    lines.push(name, String(value));
  }
  const signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
    .update(`${lines.join('\n')}\n`)
    .sign(signingKey, 'base64');
  const signed: Record<string, unknown> = { ...message, SignatureVersion: version, Signature: signature };
  delete signed.SigningCertURL;
  delete signed.SigningCertUrl;
  signed[urlField] = certUrl;
  return signed;
}
