/**
 * A real runtime (real decide, shell, shadow actuator, ingest) over a `MemoryStateStore`, with a fixed clock,
 * captured JSON log lines, and a store that can be told to fail like Redis does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TargetSchema, type Target } from '../../../core/schema/target.ts';
import { PolicySchema, type PolicyInput } from '../../../core/schema/policy.ts';
import type { StateStore } from '../../../adapters/ports/state-store.ts';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import { createRuntime, type Runtime } from '../../../functions/shell/runtime.ts';
import type { SnsVerifierOptions } from '../../../adapters/auth/index.ts';
import { signSnsMessage } from '../../support/sns-signing.ts';
import { makeTestPki, startHttpsServer, type TestHttpsServer } from '../../support/tls.ts';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/events/aws');

/** A fixture from test/fixtures/events/aws (AWS's documented examples), parsed. */
export function awsFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** An inference endpoint on SageMaker with one on-demand pool. */
export function endpointTarget(id: string): Target {
  return TargetSchema.parse({
    id,
    kind: 'inference-endpoint',
    provider: 'aws',
    region: 'us-east-1',
    pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
  });
}

/** The target the CloudWatch fixtures feed: tracks `cpu` at 50 % from the `ServerCpuTooHigh` alarm. */
export const cpuPolicy: PolicyInput = {
  minCapacity: 2,
  maxCapacity: 10,
  targetTracking: [{ metric: 'cpu', targetValue: 50 }],
  triggers: [{ source: 'aws-cloudwatch', alarmName: 'ServerCpuTooHigh', metric: 'cpu' }],
};

/** The target the SNS alarm fixtures feed: `tide-llama-*` alarms on concurrent requests per model. */
export const llamaPolicy: PolicyInput = {
  minCapacity: 1,
  maxCapacity: 8,
  targetTracking: [{ metric: 'concurrent_requests_per_replica', targetValue: 2 }],
  triggers: [{ source: 'aws-cloudwatch', alarmName: 'tide-llama-*', metric: 'concurrent_requests_per_replica' }],
};

/**
 * A store that behaves like the memory store until told to fail: `failNext(method, error)` makes the next
 * calls of that method throw (as the Redis stores do when Redis is down), and every call is counted.
 */
export class FailingStore {
  readonly calls: Record<string, number> = {};
  private readonly failures = new Map<string, { error: Error; remaining: number; targetId?: string }>();

  constructor(readonly inner: MemoryStateStore) {}

  /** Fail the next `times` calls of `method` (only for `targetId`, when given). */
  failNext(method: keyof StateStore, error: Error, times = Infinity, targetId?: string): this {
    this.failures.set(method, { error, remaining: times, ...(targetId ? { targetId } : {}) });
    return this;
  }

  /** The store port, wrapping every method. */
  asStore(): StateStore {
    return new Proxy(this.inner, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const name = String(property);
          this.calls[name] = (this.calls[name] ?? 0) + 1;
          const failure = this.failures.get(name);
          if (failure && failure.remaining > 0 && (failure.targetId === undefined || args[0] === failure.targetId)) {
            failure.remaining -= 1;
            throw failure.error;
          }
          return value.apply(target, args);
        };
      },
    }) as StateStore;
  }
}

/** A runtime over a memory store holding the given targets and policies, at `now`. */
export async function shadowRuntime(now: number, targets: Record<string, PolicyInput>) {
  const clock = {
    time: now,
    now() {
      return this.time;
    },
  };
  const memory = new MemoryStateStore({}, () => clock.time);
  for (const [id, policy] of Object.entries(targets)) {
    await memory.putTarget(endpointTarget(id));
    await memory.putPolicy(id, PolicySchema.parse(policy));
  }
  const failing = new FailingStore(memory);
  const lines: string[] = [];
  const runtime: Runtime = createRuntime(
    { TIDE_MODE: 'shadow' },
    { eventSources: EVENT_SOURCES, store: failing.asStore(), clock, write: (line) => lines.push(line) },
  );
  const logs = () => lines.map((line) => JSON.parse(line) as Record<string, any>);
  return { runtime, clock, memory, failing, lines, logs };
}

/** Plays SNS for the handler tests: a local CA, an HTTPS server with the signing certificate, a signer. */
export interface SnsSigning {
  /** The SNS verifier's options that trust this server (configuration, as a deployment would set it). */
  snsOptions: SnsVerifierOptions;
  /** Re-sign every SNS message in an event: Lambda's `Records[].Sns` and SNS bodies of SQS records. */
  signAll<T>(event: T): T;
  server: TestHttpsServer;
}

let signing: Promise<SnsSigning> | undefined;

export function snsSigning(): Promise<SnsSigning> {
  signing ??= (async () => {
    const pki = makeTestPki();
    const server = await startHttpsServer(pki, (_req, res) => res.end(pki.signingCert));
    const certUrl = `${server.origin}/SimpleNotificationService-test.pem`;
    const isSns = (value: unknown): value is Record<string, unknown> =>
      typeof value === 'object' && value !== null && 'TopicArn' in value && 'Type' in value;
    const signAll = <T>(event: T): T => {
      const copy = structuredClone(event) as { Records?: Record<string, unknown>[] };
      for (const record of copy.Records ?? []) {
        if (isSns(record.Sns)) record.Sns = signSnsMessage(record.Sns, pki.signingKey, certUrl, '1', 'SigningCertUrl');
        if (typeof record.body === 'string') {
          let body: unknown;
          try {
            body = JSON.parse(record.body);
          } catch {
            continue;
          }
          if (isSns(body)) record.body = JSON.stringify(signSnsMessage(body, pki.signingKey, certUrl, '2'));
        }
      }
      return copy as T;
    };
    const snsOptions: SnsVerifierOptions = {
      certHosts: [server.host],
      fetch: { ca: pki.caCert, timeoutMs: 5000 },
    };
    return { snsOptions, signAll, server };
  })();
  return signing;
}
