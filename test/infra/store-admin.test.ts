import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.ts';
import { MemoryStateStore } from '../../adapters/state/memory-store.ts';
import { createAwsHandler } from '../../functions/aws/handler.ts';
import { createRuntime } from '../../functions/shell/runtime.ts';
import { formatAuditEntry, putTargetAndPolicy } from '../../infra/store-admin.ts';
import { awsFixture } from '../functions/aws/harness.ts';

const root = resolve(import.meta.dirname, '../..');
const example = (name: string) => JSON.parse(readFileSync(join(root, 'infra/examples', name), 'utf8')) as unknown;
const SNS_AT = Date.parse('2026-03-09T13:32:10Z');

describe('infra/store-admin.ts', () => {
  it.each(['llama-endpoint', 'train-a100'])('loads the %s example, which the function then routes to', async (name) => {
    const store = new MemoryStateStore();
    expect(await putTargetAndPolicy(store, example(`${name}.target.json`), example(`${name}.policy.json`))).toEqual({
      targetId: name,
      targetVersion: 1,
      policyVersion: 2,
    });
    expect(await store.listTargets()).toEqual([name]);
    expect((await store.getPolicy(name))?.value.triggers.length).toBeGreaterThan(0);
  });

  it('rejects a bad document naming the field, and writes nothing', async () => {
    const store = new MemoryStateStore();
    const policy = { ...(example('llama-endpoint.policy.json') as object), maxCapacity: -3 };
    const put = putTargetAndPolicy(store, example('llama-endpoint.target.json'), policy);
    await expect(put).rejects.toBeInstanceOf(ValidationError);
    await expect(put).rejects.toThrow(/maxCapacity/);
    expect(await store.listTargets()).toEqual([]);
  });

  it('shows what shadow mode decided for the example endpoint on the documented SNS alarm, one line per decision', async () => {
    const store = new MemoryStateStore({}, () => SNS_AT);
    await putTargetAndPolicy(store, example('llama-endpoint.target.json'), example('llama-endpoint.policy.json'));
    const runtime = createRuntime({ TIDE_MODE: 'shadow' }, { store, clock: { now: () => SNS_AT }, write: () => {} });
    await createAwsHandler(() => runtime)(awsFixture('sns-lambda-cloudwatch-alarm.json'));
    const [entry] = (await store.readAudit('llama-endpoint')).entries;
    expect(formatAuditEntry(entry!)).toMatch(
      /^2026-03-09T13:32:10\.000Z .* scale-out 1->2 {2}\[set-capacity primary 1->2\] {2}.*concurrent_requests_per_replica/,
    );
  });
});
