import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.ts';
import type { AuditEntry } from '../../../adapters/ports/state-store.ts';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import { createAwsHandler } from '../../../functions/aws/handler.ts';
import type { CliIo } from '../../../functions/cli/command.ts';
import {
  createStoreCommand,
  formatAuditEntry,
  putTargetAndPolicy,
  storeFromEnv,
} from '../../../functions/cli/commands/store.ts';
import { createRuntime } from '../../../functions/shell/runtime.ts';
import { startRedisServer, type RedisServer } from '../../support/redis-server.ts';
import { createSenderAuth } from '../../../adapters/auth/index.ts';
import { awsFixture, snsSigning } from '../aws/harness.ts';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';

const root = resolve(import.meta.dirname, '../../..');
const examplePath = (name: string) => join(root, 'infra/examples', name);
const example = (name: string) => JSON.parse(readFileSync(examplePath(name), 'utf8')) as unknown;
const SNS_AT = Date.parse('2026-03-09T13:32:10Z');

function recordingIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTty: false };
  return { io, out, err };
}

/** A store that stays open across commands (the command closes what it opens; memory has nothing to close). */
function memoryCommand(store: MemoryStateStore) {
  return createStoreCommand(() => store);
}

describe('putTargetAndPolicy', () => {
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
});

describe('tide store', () => {
  it('put, list and audit: what shadow mode decided for the example endpoint on the documented SNS alarm', async () => {
    const store = new MemoryStateStore({}, () => SNS_AT);
    const command = memoryCommand(store);
    const put = recordingIo();
    const files = [examplePath('llama-endpoint.target.json'), examplePath('llama-endpoint.policy.json')];
    expect(await command.run(['put', ...files], put.io)).toBe(0);
    expect(JSON.parse(put.out.join(''))).toEqual({ targetId: 'llama-endpoint', targetVersion: 1, policyVersion: 2 });

    const list = recordingIo();
    expect(await command.run(['list'], list.io)).toBe(0);
    expect(list.out).toEqual(['llama-endpoint']);

    const runtime = createRuntime(
      { TIDE_MODE: 'shadow' },
      { eventSources: EVENT_SOURCES, store, clock: { now: () => SNS_AT }, write: () => {} },
    );
    // The documented alarm, signed by the test's own SNS stand-in (the handler verifies SNS signatures).
    const signing = await snsSigning();
    const auth = createSenderAuth({ sns: signing.snsOptions });
    await createAwsHandler(() => runtime, { auth })(signing.signAll(awsFixture('sns-lambda-cloudwatch-alarm.json')));
    const audit = recordingIo();
    expect(await command.run(['audit', 'llama-endpoint', '--limit', '5'], audit.io)).toBe(0);
    expect(audit.out).toHaveLength(1);
    expect(audit.out[0]).toMatch(
      /^2026-03-09T13:32:10\.000Z .* scale-out 1->2 {2}\[set-capacity primary 1->2\] {2}.*concurrent_requests_per_replica.* {2}=> set-capacity done$/,
    );
    const [entry] = (await store.readAudit('llama-endpoint')).entries;
    expect(audit.out[0]).toBe(formatAuditEntry(entry!));
  });

  it("prints what became of each action: the error's name and message, escaped and cut short", () => {
    const entry = {
      id: '1-0',
      eventId: 'e1',
      version: 1,
      targetId: 'llm-endpoint',
      at: 0,
      outcome: 'scale-out',
      valid: true,
      currentCapacity: 1,
      desiredCapacity: 2,
      actions: [
        { type: 'set-capacity', poolId: 'primary', from: 1, to: 2, reason: 'r' },
        { type: 'set-capacity', poolId: 'spot', from: 0, to: 1, reason: 'r' },
      ],
      holds: [],
      reasons: ['busy'],
      signal: { kind: 'metric', source: 'test', observedAt: 0, detail: 'gpu_utilization = 90' },
    } as const satisfies AuditEntry;
    expect(formatAuditEntry(entry)).toMatch(/ {2}busy {2}=> no results recorded yet$/);
    const line = formatAuditEntry({
      ...entry,
      results: [
        {
          index: 0,
          type: 'set-capacity',
          status: 'failed',
          error: { name: 'X', message: `\u001b[2Jgone${'!'.repeat(300)}` },
        },
        { index: 1, type: 'set-capacity', status: 'skipped' },
      ],
    });
    expect(line).toMatch(
      / {2}=> set-capacity failed \(X: \\u001b\[2Jgone!+… \(\d+ characters\)\), set-capacity skipped$/,
    );
    expect(line).not.toContain('\u001b');
    expect(formatAuditEntry({ ...entry, actions: [], results: [] })).not.toContain('=>');
  });

  it('a bad document exits 2 naming the field and the value, and writes nothing', async () => {
    const store = new MemoryStateStore();
    const { io, err } = recordingIo();
    const policy = join(root, 'examples/nyse-trading-hours.policy.json');
    const badTarget = join(root, 'test/fixtures/events/tide/schedule-tick.json');
    expect(await memoryCommand(store).run(['put', badTarget, policy], io)).toBe(2);
    expect(err.join('\n')).toMatch(/^invalid target: \d+ error\(s\); nothing was written\n {2}id: /);
    expect(await store.listTargets()).toEqual([]);
  });

  it.each([
    { label: 'no subcommand', args: [], message: /expected a subcommand/ },
    { label: 'an unknown subcommand', args: ['drop', 'x'], message: /unknown or incomplete subcommand "drop x"/ },
    { label: 'put with one file', args: ['put', 'a.json'], message: /incomplete subcommand "put a\.json"/ },
    {
      label: 'a limit out of range',
      args: ['audit', 't', '--limit', '500'],
      message: /--limit .* 1 to 100, was: "500"/,
    },
  ])('$label is a usage error', async ({ args, message }) => {
    await expect(memoryCommand(new MemoryStateStore()).run(args, recordingIo().io)).rejects.toThrow(message);
  });

  it('refuses to write to an in-memory store that would vanish on exit', () => {
    expect(() => storeFromEnv({})(recordingIo().io)).toThrow(/no state store configured/);
  });
});

describe('tide store as a real process against a real Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.close();
  });

  const tide = (args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((done, fail) => {
      const child = spawn(process.execPath, [join(root, 'bin/tide.js'), 'store', ...args], {
        env: { ...process.env, REDIS_URL: redis.url, TIDE_DEPLOYMENT: 'cli-test' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('error', fail);
      child.once('close', (status) => done({ status, stdout, stderr }));
    });

  it('writes where the function reads (REDIS_URL, TIDE_DEPLOYMENT) and reads it back', async () => {
    const put = await tide(['put', examplePath('train-a100.target.json'), examplePath('train-a100.policy.json')]);
    expect(put.stderr).toMatch(/Redis over TCP/);
    expect(put.status).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ targetId: 'train-a100' });
    const list = await tide(['list']);
    expect([list.status, list.stdout]).toEqual([0, 'train-a100\n']);
  });
});
