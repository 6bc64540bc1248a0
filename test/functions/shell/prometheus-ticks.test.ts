/**
 * Every runtime's tick reads the policies' Prometheus metrics (targetTracking[].prometheus), not only
 * `tide serve`'s: the AWS, Google Cloud and Azure ticks each run the query against Debian's real Prometheus
 * (on a free port, behind its own basic authentication, scraping a small exporter whose value the test sets)
 * and decide on the value. Credentials come from TIDE_PROMETHEUS_ variables the policy names; a variable that
 * is not set, a wrong password and an unreachable server are missing samples (`metric-failure`), never a
 * failed tick, and the password never reaches a log line.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCES } from '../../../adapters/events/sources/index.ts';
import type { AwsClients } from '../../../adapters/aws/clients.ts';
import type { AzureClients } from '../../../adapters/azure/clients.ts';
import type { GcpClients } from '../../../adapters/gcp/clients.ts';
import type { Logger } from '../../../adapters/ports/logger.ts';
import { prometheusSignals } from '../../../adapters/prometheus/metric-signals.ts';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import type { Target } from '../../../core/schema/target.ts';
import { runAwsTick } from '../../../functions/aws/tick.ts';
import { runAzureTick } from '../../../functions/azure/tick.ts';
import { runGcpTick } from '../../../functions/gcp/tick.ts';
import { createRuntime } from '../../../functions/shell/runtime.ts';
import { startPrometheus, type Daemon } from '../../support/prometheus.ts';
import { waitFor } from '../../support/tide-serve.ts';

// The password's bcrypt hash for Prometheus's web config (made once with libxcrypt: perl -e 'print crypt(...)').
const USER = 'tide';
const PASSWORD = 'tide-test-password';
const BCRYPT = '$2b$05$abcdefghijklmnopqrstuu/yKihUzCuUI3NcQoJXsf.8YhEg5cVua';
const ENV = { TIDE_PROMETHEUS_USER: USER, TIDE_PROMETHEUS_PASSWORD: PASSWORD };
const QUERY = 'sum(vllm:num_requests_waiting{model_name="llama-3-8b"})';
const AT = Date.parse('2026-03-02T14:00:00Z');

let exporter: Server;
let waiting = 12;
let prometheus: Daemon;

beforeAll(async () => {
  exporter = createServer((_, response) => {
    response.setHeader('content-type', 'text/plain; version=0.0.4');
    response.end(
      `# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{model_name="llama-3-8b"} ${waiting}\n`,
    );
  });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  const { port } = exporter.address() as { port: number };
  prometheus = await startPrometheus(
    {
      global: { scrape_interval: '1s', scrape_timeout: '900ms' },
      scrape_configs: [{ job_name: 'vllm', static_configs: [{ targets: [`127.0.0.1:${port}`] }] }],
    },
    30_000,
    { user: USER, password: PASSWORD, bcryptHash: BCRYPT },
  );
}, 60_000);

afterAll(async () => {
  await prometheus?.close();
  await new Promise((resolve) => exporter?.close(resolve));
});

const silent: Logger = { info() {}, warn() {}, error() {} };
const basic = { type: 'basic', usernameEnv: 'TIDE_PROMETHEUS_USER', passwordEnv: 'TIDE_PROMETHEUS_PASSWORD' };
const policyFor = (server: string, auth: unknown = basic) =>
  PolicySchema.parse({
    minCapacity: 1,
    maxCapacity: 20,
    targetTracking: [
      {
        metric: 'vllm_requests_waiting',
        metricType: 'total',
        targetValue: 2,
        windowSeconds: 0,
        prometheus: { server, query: QUERY, timeoutSeconds: 2, ...(auth ? { auth } : {}) },
      },
    ],
  });

/** Prometheus (asked with the password) holds `value` for the query. */
const promHas = (value: number) =>
  waitFor(
    `Prometheus to see ${value} waiting`,
    async () => {
      const [signal] = await prometheusSignals('t', policyFor(prometheus.url), AT, () => 'probe', {
        env: ENV,
        logger: silent,
      });
      return signal?.kind === 'metric' && signal.value === value ? true : undefined;
    },
    30_000,
  );

describe('the Prometheus query with credentials', () => {
  it.each([
    ['the right password', ENV, 'metric', /^$/],
    ['a wrong password', { ...ENV, TIDE_PROMETHEUS_PASSWORD: 'wrong-password' }, 'metric-failure', /answered 401/],
    [
      'no password in this runtime',
      { TIDE_PROMETHEUS_USER: USER },
      'metric-failure',
      /TIDE_PROMETHEUS_PASSWORD is not set/,
    ],
  ])('%s', async (_label, env, kind, error) => {
    await promHas(12);
    const lines: string[] = [];
    const logger = {
      ...silent,
      warn: (message: string, fields: unknown) => lines.push(message + JSON.stringify(fields)),
    };
    const [signal] = await prometheusSignals('t', policyFor(prometheus.url), AT, (m) => `id:${m}`, {
      env,
      logger,
      backoffMs: 10,
    });
    expect(signal).toMatchObject({ kind, metric: 'vllm_requests_waiting', eventId: 'id:vllm_requests_waiting' });
    if (signal?.kind === 'metric') expect(signal.value).toBe(12);
    if (signal?.kind === 'metric-failure') expect(signal.error).toMatch(error);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('without credentials Prometheus refuses the query: a missing sample', async () => {
    const [signal] = await prometheusSignals('t', policyFor(prometheus.url, null), AT, () => 'x', {
      env: ENV,
      logger: silent,
    });
    expect(signal).toMatchObject({ kind: 'metric-failure', error: expect.stringContaining('401') });
  });

  it('a policy may name only TIDE_PROMETHEUS_ variables (not, say, the state store token)', () => {
    const parsed = PolicySchema.safeParse({
      minCapacity: 1,
      maxCapacity: 2,
      targetTracking: [
        {
          metric: 'm',
          targetValue: 1,
          prometheus: {
            server: 'http://p:9090',
            query: 'up',
            auth: { type: 'bearer', tokenEnv: 'UPSTASH_REDIS_REST_TOKEN' },
          },
        },
      ],
    });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('TIDE_PROMETHEUS_');
  });
});

const targets: Record<'aws' | 'gcp' | 'azure', Target> = {
  aws: {
    id: 'llm-aws',
    kind: 'inference-endpoint',
    provider: 'aws',
    region: 'us-east-1',
    pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
    resource: { provider: 'aws', sagemakerEndpoint: { endpointName: 'llm' } },
  } as Target,
  gcp: {
    id: 'llm-gcp',
    kind: 'inference-endpoint',
    provider: 'gcp',
    pools: [{ id: 'serve', instanceType: 'g2-standard-8', capacityType: 'on-demand', zone: 'us-central1-c' }],
    resource: {
      provider: 'gcp',
      pools: { serve: { kind: 'mig', project: 'p1', zone: 'us-central1-c', name: 'llama' } },
      metrics: {},
    },
  } as Target,
  azure: {
    id: 'llm-azure',
    kind: 'inference-endpoint',
    provider: 'azure',
    pools: [{ id: 'serve', instanceType: 'Standard_NC24ads_A100_v4', capacityType: 'on-demand' }],
    resource: {
      provider: 'azure',
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      pools: { serve: { kind: 'vmss', resourceGroup: 'rg', name: 'llm-serve' } },
      metrics: {},
    },
  } as Target,
};

/** Run one cloud's tick in shadow mode (no cloud call: no cloud metrics bound) and return its Prometheus decisions. */
async function tickOnce(provider: 'aws' | 'gcp' | 'azure', at: number, env: Record<string, string>) {
  const store = new MemoryStateStore({}, () => at);
  const lines: string[] = [];
  const runtime = createRuntime(
    { TIDE_MODE: 'shadow', ...env },
    { eventSources: EVENT_SOURCES, store, clock: { now: () => at }, write: (line) => lines.push(line) },
  );
  const target = targets[provider];
  await store.putTarget(target);
  await store.putPolicy(target.id, policyFor(prometheus.url));
  const report =
    provider === 'aws'
      ? await runAwsTick(runtime, { clients: {} as AwsClients, env, actuatorOf: () => ({}) as never })
      : provider === 'gcp'
        ? await runGcpTick(runtime, {} as GcpClients, 'tick-1', undefined, { env })
        : await runAzureTick(runtime, {} as AzureClients, 'tick-1', { prometheus: { env } });
  const entries = (await store.readAudit(target.id, { limit: 10 })).entries.filter(
    (entry) => entry.signal.source === 'prometheus',
  );
  return { report, entries, lines };
}

describe("every cloud's tick reads the policy's Prometheus metric", () => {
  it.each(['aws', 'gcp', 'azure'] as const)(
    '%s: 12 waiting at 2 a replica -> 6; 20 -> 10',
    async (provider) => {
      waiting = 12;
      await promHas(12);
      const first = await tickOnce(provider, AT, ENV);
      expect(first.report.failures).toEqual([]);
      expect(first.entries).toHaveLength(1);
      expect(first.entries[0]!.signal.detail).toBe('vllm_requests_waiting = 12');
      expect(first.entries[0]!.desiredCapacity).toBe(6);
      waiting = 20;
      await promHas(20);
      const second = await tickOnce(provider, AT + 60_000, ENV);
      expect(second.entries[0]!.desiredCapacity).toBe(10);
      waiting = 12;
    },
    60_000,
  );

  it.each(['aws', 'gcp', 'azure'] as const)(
    '%s: a credential missing in the runtime is a missing sample, the tick goes on, the secret is never logged',
    async (provider) => {
      const missing = await tickOnce(provider, AT, { TIDE_PROMETHEUS_USER: USER });
      expect(missing.report.failures).toEqual([]);
      expect(missing.entries[0]?.signal).toMatchObject({
        kind: 'metric-failure',
        detail: expect.stringContaining('TIDE_PROMETHEUS_PASSWORD is not set'),
      });
      const wrong = await tickOnce(provider, AT, { ...ENV, TIDE_PROMETHEUS_PASSWORD: 'another-secret' });
      expect(wrong.entries[0]?.signal.detail).toContain('401');
      expect(wrong.lines.join('\n')).not.toContain('another-secret');
    },
    60_000,
  );
});
