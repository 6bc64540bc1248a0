/**
 * Checkpoint requests over HTTPS, for every cloud: a CloudEvent `dev.tide.job.checkpoint.requested` to the
 * job's callback, signed with `x-tide-timestamp` (Unix seconds) and
 * `x-tide-signature: v1=HEX(HMAC-SHA256(key, timestamp + "." + body))`, so a receiver checks both the sender
 * and the freshness (examples/checkpoint-receiver/). The event id is derived from the job and the deadline,
 * so a redelivered request is recognisably the same one.
 */
import { createHmac } from 'node:crypto';
import type { RequestOptions } from 'node:https';
import type { HttpsCheckpointCallback } from '../../core/schema/checkpoint-callback.ts';
import {
  type ActuatorError,
  ProviderRejectedError,
  ProviderUnavailableError,
  ThrottledError,
  type CheckpointRequest,
} from '../ports/actuator.ts';

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

/** Bounds and TLS of the POST. */
export interface SignedPostOptions {
  now: () => number;
  /** TLS options for the callback (a private CA). */
  tls?: Pick<RequestOptions, 'ca'>;
  /** Per attempt, ms (default 3000); attempts (default 3), with full-jitter backoff from `retryBaseDelayMs` (default 100). */
  timeoutMs?: number;
  maxAttempts?: number;
  retryBaseDelayMs?: number;
}

/**
 * A target's checkpoint request to its HTTPS callback (`resource.checkpoint`), signed with the key from the
 * environment variable the callback names: what the GCP and Azure actuators send (AWS hands it to its sender).
 */
export async function requestCheckpointAt(
  callback: HttpsCheckpointCallback | undefined,
  targetId: string,
  request: CheckpointRequest,
  options: SignedPostOptions & { env?: Record<string, string | undefined> },
): Promise<void> {
  if (!callback) {
    throw new ProviderRejectedError(
      'checkpoint',
      `job/${request.jobId}`,
      'NoCallback',
      `target ${targetId} names no checkpoint callback (resource.checkpoint)`,
    );
  }
  const key = (options.env ?? process.env)[callback.secretEnv];
  if (!key) {
    // Names the variable, never a value.
    throw new ProviderRejectedError(
      'checkpoint',
      callback.url,
      'NoKey',
      `environment variable ${callback.secretEnv} is not set`,
    );
  }
  const body = JSON.stringify(checkpointCloudEvent(targetId, request, options.now()));
  await postSignedCheckpoint(callback.url, key, body, options);
}

/** POST the body signed; 2xx is done, 429 throttled, 5xx and network errors retried within the bound, other 4xx refused. */
export async function postSignedCheckpoint(
  url: string,
  key: string,
  body: string,
  options: SignedPostOptions,
): Promise<void> {
  const attempts = options.maxAttempts ?? 3;
  const base = options.retryBaseDelayMs ?? 100;
  let last: ActuatorError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.random() * base * 2 ** (attempt - 1)));
    const timestamp = Math.floor(options.now() / 1000);
    try {
      const status = await post(
        url,
        body,
        {
          'content-type': 'application/cloudevents+json',
          'x-tide-timestamp': String(timestamp),
          'x-tide-signature': signCheckpoint(key, timestamp, body),
        },
        options.timeoutMs ?? 3000,
        options.tls,
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

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  tls: SignedPostOptions['tls'],
): Promise<number> {
  // node:https (node:tls under it) is loaded at the first callback, not at every cold start (issue 18).
  const { request: httpsRequest } = await import('node:https');
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
