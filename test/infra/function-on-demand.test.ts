/**
 * What the AWS events function loads on demand, run from its bundle as it ships (issue 18): croner only
 * when a policy it reads has a schedule, and no other cloud's event parsers at all. A policy with a
 * schedule, read from a real Redis, is decided by the bundle in a fresh process (croner loaded at that read);
 * the bundle's start-up files hold neither croner nor another cloud's parsers.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredisTransport } from '../../adapters/state/ioredis-transport.ts';
import { RedisStateStore } from '../../adapters/state/redis-store.ts';
import { PolicySchema } from '../../core/schema/policy.ts';
import { TargetSchema } from '../../core/schema/target.ts';
import { bundleFunction, type FunctionBundle } from '../../tools/bench/function-build.ts';
import { startRedisServer, type RedisServer } from '../support/redis-server.ts';

const root = resolve(import.meta.dirname, '../..');
// Inside the repository, as the bench builds it: ioredis, left out of the bundle, resolves from node_modules.
mkdirSync(join(root, '.bench'), { recursive: true });
const out = mkdtempSync(join(root, '.bench', 'on-demand-'));
const examples = join(root, 'infra/examples');
const policy = JSON.parse(readFileSync(join(examples, 'llama-endpoint.policy.json'), 'utf8'));
const target = JSON.parse(readFileSync(join(examples, 'llama-endpoint.target.json'), 'utf8'));
const AT = Date.parse('2026-03-10T10:00:00Z');

let redis: RedisServer;
let bundle: FunctionBundle;
beforeAll(async () => {
  redis = await startRedisServer();
  bundle = await bundleFunction(root, 'functions/aws/handler.ts', out);
}, 60_000);
afterAll(async () => {
  await redis?.close();
  rmSync(out, { recursive: true, force: true });
});

/** The bundle's output files that hold `input` (a source path), and whether a cold start loads them. */
function filesWith(input: RegExp): { path: string; initial: boolean }[] {
  const initial = new Set(bundle.files.filter((file) => file.initial).map((file) => resolve(root, file.path)));
  return Object.entries(bundle.metafile.outputs)
    .filter(([, output]) => Object.keys(output.inputs).some((path) => input.test(path)))
    .map(([path]) => ({ path, initial: initial.has(resolve(root, path)) }));
}

/** An EventBridge CloudWatch alarm state change carrying one datapoint, as the bench driver sends it. */
function alarm(alarmName: string, value: number) {
  const stamp = new Date(AT).toISOString().replace('Z', '+0000');
  return {
    version: '0',
    id: `on-demand-${alarmName}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: new Date(AT).toISOString().replace(/\.\d+Z$/, 'Z'),
    region: 'us-east-1',
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      configuration: { metrics: [] },
      previousState: { reason: 'r', timestamp: stamp, value: 'OK' },
      state: {
        reason: 'Threshold Crossed',
        reasonData: JSON.stringify({ version: '1.0', statistic: 'Average', period: 60, recentDatapoints: [value] }),
        timestamp: stamp,
        value: 'ALARM',
      },
    },
  };
}

describe('the AWS events function loads on demand', () => {
  it('has croner in a chunk of its own, not in what a cold start loads', () => {
    const croner = filesWith(/node_modules\/croner\//);
    expect(croner.length).toBeGreaterThan(0);
    expect(croner.filter((file) => file.initial)).toEqual([]);
  });

  it("bundles no other cloud's event parsers", () => {
    expect(filesWith(/adapters\/events\/(gcp|azure)\//)).toEqual([]);
  });

  it('decides for a policy with a schedule read from Redis: croner loaded at that read', async () => {
    const namespace = 'on-demand';
    const store = new RedisStateStore(ioredisTransport({ url: redis.url, timeoutMs: 5000 }), { namespace });
    await store.putTarget(TargetSchema.parse(target));
    await store.putPolicy(
      target.id,
      PolicySchema.parse({
        ...policy,
        // Open all day on weekdays: a floor of 3 replicas while it is.
        schedules: [{ name: 'weekdays', start: '0 0 * * 1-5', durationMinutes: 1439, minCapacity: 3 }],
      }),
    );
    await store.close();
    const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle.entryFile).href)});
Date.now = () => ${AT};
const result = await handler(${JSON.stringify(alarm('tide-llama-concurrency-high', 4))});
process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');
process.exit(0);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH ?? '',
        TIDE_MODE: 'shadow',
        REDIS_URL: redis.url,
        TIDE_DEPLOYMENT: namespace,
        // The event's account, which the sender check must accept (adapters/auth).
        TIDE_AWS_ACCOUNTS: '123456789012',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const line = run.stdout.split('\n').find((text) => text.startsWith('RESULT '));
    expect(line, run.stdout + run.stderr).toBeDefined();
    const result = JSON.parse(line!.slice('RESULT '.length));
    expect(result.rejected).toEqual([]);
    expect(result.decisions).toHaveLength(1);
    // The schedule's floor holds: the decision is at least 3 whatever the metric says.
    expect(result.decisions[0].desiredCapacity).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
