/**
 * Checkpoint requests: a CloudEvent `dev.tide.job.checkpoint.requested` to the job's callback. Over HTTPS it
 * is signed: `x-tide-timestamp` (Unix seconds) and `x-tide-signature: v1=HEX(HMAC-SHA256(key, timestamp + "." + body))`,
 * so a receiver checks both the sender and the freshness (examples/checkpoint-receiver/). On EventBridge it
 * is one `PutEvents` entry whose detail is the CloudEvent. The event id is derived from the job and the
 * deadline, so a redelivered request is recognisably the same one.
 */
import { createHmac } from 'node:crypto';
import { type RequestOptions, request as httpsRequest } from 'node:https';
import type { AwsCheckpointCallback } from '../../core/schema/resource.ts';
import {
  type ActuatorError,
  ProviderRejectedError,
  ProviderUnavailableError,
  ThrottledError,
  type CheckpointRequest,
} from '../ports/actuator.ts';
import type { AwsCaller } from './calls.ts';
import type { AwsClients, AwsScope } from './clients.ts';

export const CHECKPOINT_EVENT_TYPE = 'dev.tide.job.checkpoint.requested';

/** The CloudEvent (structured mode, spec 1.0) for a request. */
export function checkpointCloudEvent(targetId: string, request: CheckpointRequest, now: number) {
  return {
    specversion: '1.0',
    id: `${targetId}:${request.jobId}:${request.deadlineAt}`,
    source: `tide/${targetId}`,
    type: CHECKPOINT_EVENT_TYPE,
    subject: request.jobId,
    time: new Date(now).toISOString(),
    datacontenttype: 'application/json',
    data: {
      jobId: request.jobId,
      instanceIds: request.instanceIds,
      deadline: new Date(request.deadlineAt).toISOString(),
      targetId,
    },
  };
}

/** `v1=` + hex HMAC-SHA256 over `timestamp.body`. */
export function signCheckpoint(key: string, timestampSeconds: number, body: string): string {
  return `v1=${createHmac('sha256', key).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

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

async function postSigned(deps: CheckpointSenderDeps, url: string, key: string, body: string): Promise<void> {
  const attempts = deps.maxAttempts ?? 3;
  const base = deps.retryBaseDelayMs ?? 100;
  let last: ActuatorError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.random() * base * 2 ** (attempt - 1)));
    const timestamp = Math.floor(deps.now() / 1000);
    try {
      const status = await post(
        url,
        body,
        {
          'content-type': 'application/cloudevents+json',
          'x-tide-timestamp': String(timestamp),
          'x-tide-signature': signCheckpoint(key, timestamp, body),
        },
        deps.timeoutMs ?? 3000,
        deps.tls,
      );
      if (status >= 200 && status < 300) return;
      const message = `checkpoint callback ${url} answered ${status}`;
      if (status === 429) last = new ThrottledError(message);
      else if (status >= 500) last = new ProviderUnavailableError(message);
      else throw new ProviderRejectedError('checkpoint', url, `HTTP${status}`, message);
    } catch (error) {
      if (error instanceof ProviderRejectedError) throw error;
      last = new ProviderUnavailableError(`checkpoint callback ${url}: ${(error as Error).message}`, { cause: error });
    }
  }
  throw last ?? new ProviderUnavailableError(`checkpoint callback ${url} failed`);
}

function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  tls: CheckpointSenderDeps['tls'],
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'POST', headers, timeout: timeoutMs, ...(tls ?? {}) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
