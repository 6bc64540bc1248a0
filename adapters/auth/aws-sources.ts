/**
 * Who may put a body on Tide's SQS queue (or invoke the function directly). A queue policy limits senders,
 * but a body names its own origin, so each is checked against the configured allow-list:
 *
 * - an SNS notification (SNS → SQS without raw delivery) must carry a valid SNS signature (sns.ts) from an
 *   allowed account's topic;
 * - an EventBridge event must come from an allowed `account`; a `Scheduled Event` names its rule in
 *   `resources`, which must be an allowed rule when rules are configured;
 * - a Tide tick (EventBridge Scheduler) names its schedule ARN: an allowed account's, and an allowed schedule
 *   when schedules are configured;
 * - a raw CloudWatch alarm (SNS raw delivery) names its account (`AWSAccountId`, `AlarmArn`);
 * - anything else (a CloudEvent, an unknown shape) has no AWS origin to check and is refused.
 */
import { allow, deny, quote, type AuthResult } from './errors.ts';
import type { SnsVerifier } from './sns.ts';

export interface AwsSourceOptions {
  /** AWS account ids whose events are accepted. Required: an empty list accepts nothing. */
  accounts: readonly string[];
  /** EventBridge rule ARNs whose `Scheduled Event`s are accepted; absent or empty: any rule of an allowed account. */
  rules?: readonly string[];
  /** EventBridge Scheduler schedule ARNs whose ticks are accepted; absent or empty: any of an allowed account. */
  schedules?: readonly string[];
  /** Verifies SNS notifications; without it an SNS body is refused. */
  sns?: SnsVerifier;
}

export interface AwsSourceCheck {
  /** Check one decoded body (an SQS record's `body`, or a directly invoked event). */
  check(body: unknown): Promise<AuthResult>;
}

const accountOfArn = (arn: unknown): string | undefined => (typeof arn === 'string' ? arn.split(':')[4] : undefined);

export function createAwsSourceCheck(options: AwsSourceOptions): AwsSourceCheck {
  const accounts = new Set(options.accounts);
  const rules = new Set(options.rules ?? []);
  const schedules = new Set(options.schedules ?? []);
  const account = (value: unknown, field: string): AuthResult =>
    typeof value === 'string' && accounts.has(value)
      ? allow(`aws-account:${value}`)
      : deny('not-allowed', `${field}: account is not allowed, was: ${quote(value ?? null)}`);

  return {
    async check(body) {
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return deny('malformed', 'the body is not a JSON object');
      const event = body as Record<string, unknown>;
      if (typeof event.Type === 'string' && typeof event.TopicArn === 'string') {
        if (!options.sns) return deny('not-allowed', 'SNS notifications are not accepted: no SNS verifier configured');
        const topicAccount = account(accountOfArn(event.TopicArn), 'TopicArn');
        return topicAccount.ok ? options.sns.verify(event) : topicAccount;
      }
      if (typeof event['detail-type'] === 'string') {
        const from = account(event.account, 'account');
        if (!from.ok || event['detail-type'] !== 'Scheduled Event' || rules.size === 0) return from;
        const named = Array.isArray(event.resources) ? event.resources : [];
        const rule = named.find((arn) => typeof arn === 'string' && rules.has(arn));
        return rule ? allow(String(rule)) : deny('not-allowed', `resources: no allowed rule, was: ${quote(named)}`);
      }
      if (event.tide === 'schedule-tick') {
        const from = account(accountOfArn(event.schedule), 'schedule');
        if (!from.ok || schedules.size === 0) return from;
        return typeof event.schedule === 'string' && schedules.has(event.schedule)
          ? allow(event.schedule)
          : deny('not-allowed', `schedule is not allowed, was: ${quote(event.schedule)}`);
      }
      if (typeof event.AlarmName === 'string') {
        const named = event.AWSAccountId ?? accountOfArn(event.AlarmArn);
        const arnAccount = accountOfArn(event.AlarmArn);
        if (arnAccount !== undefined && arnAccount !== named)
          return deny('not-allowed', 'AWSAccountId and AlarmArn name different accounts');
        return account(named, 'AWSAccountId');
      }
      return deny(
        'not-allowed',
        'the body has no AWS origin Tide can check (not SNS, EventBridge, a tick or an alarm)',
      );
    },
  };
}
