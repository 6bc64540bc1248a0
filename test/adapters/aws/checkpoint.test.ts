import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointCloudEvent, signCheckpoint } from '../../../adapters/aws/checkpoint.ts';
import { createAwsActuator } from '../../../adapters/aws/index.ts';
import { ProviderRejectedError, ProviderUnavailableError } from '../../../adapters/ports/actuator.ts';
import { TargetSchema } from '../../../core/schema/target.ts';
import { groupsTarget, useFakeAws } from './setup.ts';

const fake = useFakeAws();
const KEY = 'checkpoint-key-for-tests';

/** The example receiver (examples/checkpoint-receiver/receiver.py), run as a process behind a self-signed certificate. */
let receiver: ChildProcess;
let port = 0;
let ca: Buffer;
const accepted: unknown[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tide-ckpt-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-days',
      '1',
      '-keyout',
      join(dir, 'k.pem'),
      '-out',
      join(dir, 'c.pem'),
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  ca = readFileSync(join(dir, 'c.pem'));
  receiver = spawn(
    'python3',
    ['examples/checkpoint-receiver/receiver.py', '0', join(dir, 'c.pem'), join(dir, 'k.pem')],
    {
      env: { ...process.env, TIDE_CHECKPOINT_KEY: KEY },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: receiver.stdout as NodeJS.ReadableStream });
  port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('receiver did not start within 20 s')), 20_000);
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { listening?: number; accepted?: unknown };
      if (message.listening !== undefined) {
        clearTimeout(timer);
        resolve(message.listening);
      }
      if (message.accepted) accepted.push(message.accepted);
    });
  });
}, 30_000);
afterAll(() => {
  receiver?.kill();
});

const untilAccepted = async (count: number) => {
  for (let waited = 0; accepted.length < count && waited < 10_000; waited += 20)
    await new Promise((r) => setTimeout(r, 20));
  return accepted;
};

const httpsTarget = (url: string) =>
  TargetSchema.parse(
    groupsTarget({ 'g5-spot': 'ckpt' }, { checkpoint: { type: 'https', url, secretEnv: 'TIDE_CHECKPOINT_KEY' } }),
  );

describe('checkpoint requests', () => {
  it('the signature is HMAC-SHA256 over "timestamp.body" (vector from `openssl dgst -sha256 -hmac k`)', () => {
    expect(signCheckpoint('k', 1700000000, '{}')).toBe(
      'v1=c6ef4734033cee2367414a0939385eca0397754aa7a59716da7463a9298b5146',
    );
    expect(signCheckpoint('k', 1700000001, '{}')).not.toBe(signCheckpoint('k', 1700000000, '{}'));
  });

  it('are delivered over HTTPS, signed, to the example receiver, which accepts them once', async () => {
    const actuator = createAwsActuator(httpsTarget(`https://127.0.0.1:${port}/`), {
      mode: 'act',
      logger: { info() {}, warn() {} },
      env: { AWS_REGION: 'us-east-1', TIDE_CHECKPOINT_KEY: KEY },
      clients: fake.clients,
      checkpoint: { tls: { ca } },
    });
    const request = { jobId: 'llama-ft', instanceIds: ['i-1', 'i-2'], deadlineAt: Date.parse('2026-11-29T18:00:00Z') };
    await actuator.requestCheckpoint(request);
    await actuator.requestCheckpoint(request); // a redelivery: same event id, the receiver ignores it
    expect(await untilAccepted(1)).toEqual([
      { jobId: 'llama-ft', instanceIds: ['i-1', 'i-2'], deadline: '2026-11-29T18:00:00.000Z', targetId: 'train' },
    ]);
  });

  it('a wrong key is refused by the receiver (401): a typed, non-retryable error', async () => {
    const actuator = createAwsActuator(httpsTarget(`https://127.0.0.1:${port}/`), {
      mode: 'act',
      logger: { info() {}, warn() {} },
      env: { AWS_REGION: 'us-east-1', TIDE_CHECKPOINT_KEY: 'not-the-key' },
      clients: fake.clients,
      checkpoint: { tls: { ca } },
    });
    const error = await actuator
      .requestCheckpoint({ jobId: 'j', instanceIds: [], deadlineAt: Date.now() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect((error as Error).message).toMatch(/answered 401/);
  });

  it('an untrusted certificate or no listener: retried, then ProviderUnavailableError; a missing key names its variable only', async () => {
    const base = {
      mode: 'act' as const,
      logger: { info() {}, warn() {} },
      clients: fake.clients,
      checkpoint: { retryBaseDelayMs: 1 },
    };
    const untrusted = createAwsActuator(httpsTarget(`https://127.0.0.1:${port}/`), {
      ...base,
      env: { AWS_REGION: 'us-east-1', TIDE_CHECKPOINT_KEY: KEY },
    });
    await expect(untrusted.requestCheckpoint({ jobId: 'j', instanceIds: [], deadlineAt: 0 })).rejects.toBeInstanceOf(
      ProviderUnavailableError,
    );
    const noKey = createAwsActuator(httpsTarget(`https://127.0.0.1:${port}/`), {
      ...base,
      env: { AWS_REGION: 'us-east-1' },
    });
    await expect(noKey.requestCheckpoint({ jobId: 'j', instanceIds: [], deadlineAt: 0 })).rejects.toThrow(
      /environment variable TIDE_CHECKPOINT_KEY is not set/,
    );
  });

  it('to an EventBridge bus: one PutEvents entry whose detail is the CloudEvent', async () => {
    const target = TargetSchema.parse(
      groupsTarget({ 'g5-spot': 'ckpt' }, { checkpoint: { type: 'eventbridge', eventBus: 'training' } }),
    );
    const actuator = createAwsActuator(target, {
      mode: 'act',
      logger: { info() {}, warn() {} },
      env: { AWS_REGION: 'us-east-1' },
      clients: fake.clients,
      now: () => 1_800_000_000_000,
    });
    const request = { jobId: 'ray-job', instanceIds: ['i-9'], deadlineAt: 1_800_000_120_000 };
    await actuator.requestCheckpoint(request);
    const [put] = fake.aws.server.calls('events', 'PutEvents');
    const entry = (put?.params.Entries as Record<string, unknown>[] | undefined)?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'training',
      Source: 'dev.tide',
      DetailType: 'dev.tide.job.checkpoint.requested',
    });
    expect(JSON.parse(entry?.Detail as string)).toEqual(checkpointCloudEvent('train', request, 1_800_000_000_000));
  });
});
