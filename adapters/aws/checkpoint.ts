/**
 * Checkpoint requests: a CloudEvent `dev.tide.job.checkpoint.requested` to the job's callback. Over HTTPS it
 * is signed: `x-tide-timestamp` (Unix seconds) and `x-tide-signature: v1=HEX(HMAC-SHA256(key, timestamp + "." + body))`,
 * so a receiver checks both the sender and the freshness (examples/checkpoint-receiver/). On EventBridge it
 * is one `PutEvents` entry whose detail is the CloudEvent. The event id is derived from the job and the
 * deadline, so a redelivered request is recognisably the same one.
 */
import type { RequestOptions } from 'node:https';
import { CHECKPOINT_EVENT_TYPE, checkpointCloudEvent, postSignedCheckpoint } from '../checkpoint/https.ts';
import type { AwsCheckpointCallback } from '../../core/schema/resource.ts';
import {
  ProviderRejectedError,
  ProviderUnavailableError,
  ThrottledError,
  type CheckpointRequest,
} from '../ports/actuator.ts';
import type { AwsCaller } from './calls.ts';
import type { AwsClients, AwsScope } from './clients.ts';

export { CHECKPOINT_EVENT_TYPE, checkpointCloudEvent, signCheckpoint } from '../checkpoint/https.ts';

export interface CheckpointSenderDeps {
  targetId: string;
  callback: AwsCheckpointCallback | undefined;
  env: Record<string, string | undefined>;
  scope: AwsScope;
  clients: AwsClients;
  caller: AwsCaller;
  now: () => number;
  /** TLS options for the callback (tests pass their own CA). */
  tls?: Pick<RequestOptions, 'ca'>;
  /** Per attempt, ms (default 3000); attempts (default 3), with full-jitter backoff from `retryBaseDelayMs` (default 100). */
  timeoutMs?: number;
  maxAttempts?: number;
  retryBaseDelayMs?: number;
}

/** Build the sender for one target's callback. */
export function createCheckpointSender(deps: CheckpointSenderDeps): (request: CheckpointRequest) => Promise<void> {
  return async (request) => {
    const callback = deps.callback;
    if (!callback) {
      throw new ProviderRejectedError(
        'checkpoint',
        `job/${request.jobId}`,
        'NoCallback',
        `target ${deps.targetId} names no checkpoint callback (resource.checkpoint)`,
      );
    }
    const event = checkpointCloudEvent(deps.targetId, request, deps.now());
    if (callback.type === 'eventbridge') return putEvent(deps, callback.eventBus, event);
    const key = deps.env[callback.secretEnv];
    if (!key) {
      // Names the variable, never a value.
      throw new ProviderRejectedError(
        'checkpoint',
        callback.url,
        'NoKey',
        `environment variable ${callback.secretEnv} is not set`,
      );
    }
    if (deps.caller.mode === 'dry-run') return; // a POST is a change too: dry-run only says so
    await postSigned(deps, callback.url, key, JSON.stringify(event));
  };
}

async function putEvent(deps: CheckpointSenderDeps, eventBus: string, event: ReturnType<typeof checkpointCloudEvent>) {
  const { sdk, client } = await deps.clients.eventBridge(deps.scope);
  const input = {
    Entries: [
      {
        EventBusName: eventBus,
        Source: 'dev.tide',
        DetailType: CHECKPOINT_EVENT_TYPE,
        Detail: JSON.stringify(event),
        Resources: [],
        Time: new Date(event.time),
      },
    ],
  };
  const out = await deps.caller.call('events:PutEvents', `event-bus/${eventBus}`, input, () =>
    client.send(new sdk.PutEventsCommand(input)),
  );
  const failed = out?.Entries?.find((entry) => entry.ErrorCode);
  if (failed) {
    const message = `PutEvents to ${eventBus}: ${failed.ErrorCode}: ${failed.ErrorMessage ?? ''}`;
    if (/Throttl/i.test(failed.ErrorCode ?? '')) throw new ThrottledError(message);
    if (/InternalFailure/i.test(failed.ErrorCode ?? '')) throw new ProviderUnavailableError(message);
    throw new ProviderRejectedError('events:PutEvents', `event-bus/${eventBus}`, failed.ErrorCode ?? 'Failed', message);
  }
}

function postSigned(deps: CheckpointSenderDeps, url: string, key: string, body: string): Promise<void> {
  return postSignedCheckpoint(url, key, body, {
    now: deps.now,
    ...(deps.tls ? { tls: deps.tls } : {}),
    ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}),
    ...(deps.maxAttempts !== undefined ? { maxAttempts: deps.maxAttempts } : {}),
    ...(deps.retryBaseDelayMs !== undefined ? { retryBaseDelayMs: deps.retryBaseDelayMs } : {}),
  });
}
