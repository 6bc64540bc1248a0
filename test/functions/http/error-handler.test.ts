import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { StateUnavailableError } from '../../../adapters/state/errors.ts';
import { errorHandler } from '../../../functions/http/errors.ts';
import { DecideLoadError } from '../../../functions/shell/decider.ts';
import { TargetQueueFullError } from '../../../functions/shell/target-queue.ts';
import type { Logger } from '../../../adapters/ports/logger.ts';

const warnings: string[] = [];
const logger: Logger = { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };

/** An app whose one route throws `error`, answered by the API's error handler. */
async function answer(error: Error) {
  const app = new Hono();
  app.onError(errorHandler(logger));
  app.get('/x', () => {
    throw error;
  });
  const response = await app.request('/x');
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { error: { code: string; message: string } },
  };
}

describe('errorHandler: a retryable error is a 503 that says what is unavailable', () => {
  it.each([
    [new StateUnavailableError('load t', 3, { cause: new Error('ECONNREFUSED') }), /state store is not answering/],
    [new DecideLoadError(new Error('chunk missing')), /decision core could not be loaded \(chunk missing\)/],
    [new TargetQueueFullError('llm', 64), /target llm already has 64 deliveries waiting/],
    [Object.assign(new Error('throttled by the cloud'), { retryable: true }), /a service Tide depends on/],
  ])('%s', async (error, message) => {
    const { status, retryAfter, body } = await answer(error);
    expect(status).toBe(503);
    expect(retryAfter).toBe('1');
    expect(body.error.code).toBe('unavailable');
    expect(body.error.message).toMatch(message);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });
});
