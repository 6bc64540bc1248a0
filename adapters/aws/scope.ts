import type { AwsScope } from './clients.ts';

/** One key per region and role: calls for targets with the same key can share a client and a batch. */
export function scopeKey(scope: AwsScope): string {
  return `${scope.region}|${scope.roleArn ?? ''}|${scope.externalId ?? ''}`;
}
