/**
 * Prometheus both ways, with Debian's real Prometheus on a free port:
 * - it scrapes `tide serve --demo`'s `/metrics` with an API key (a scrape without one is refused: `up` 0)
 *   and then answers queries for Tide's series (capacity, decisions, the target's info);
 * - as a metric source for target tracking: a small exporter whose value the test sets is scraped by
 *   Prometheus; the serve tick runs the policy's PromQL query and decides on the value; an empty result and
 *   an unreachable server become missing samples (`metric-failure`) that the missing-metrics fallback counts.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { prometheusInstantQuery } from '../../../adapters/prometheus/instant-query.ts';
import { createPrometheusSource } from '../../../functions/serve/prometheus-source.ts';
import { Ticker } from '../../../functions/serve/ticker.ts';
import { dashboardQueries } from '../../support/grafana.ts';
import { promQuery, startPrometheus, type Daemon } from '../../support/prometheus.ts';
import { startTideServe, waitFor, type TideServe } from '../../support/tide-serve.ts';
import { demoPolicy, demoTarget, startApi } from '../http/support.ts';

describe('Prometheus scrapes tide serve', () => {
  let serve: TideServe;
  let prometheus: Daemon;
  beforeAll(async () => {
    serve = await startTideServe(['--demo']);
    const target = `127.0.0.1:${serve.port}`;
    prometheus = await startPrometheus({
      global: { scrape_interval: '1s', scrape_timeout: '900ms' },
      scrape_configs: [
        {
          job_name: 'tide',
          authorization: { type: 'Bearer', credentials: serve.firstKey },
          static_configs: [{ targets: [target] }],
        },
        { job_name: 'tide-no-key', static_configs: [{ targets: [target] }] },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.close();
    await serve?.stop();
  });

  it("holds Tide's series: capacity, decisions by outcome, the target's info; a scrape without a key is refused", async () => {
    const desired = await waitFor(
      'Prometheus to hold tide_desired_capacity for demo-llm',
      async () => {
        const result = await promQuery(prometheus, 'tide_desired_capacity{job="tide",target="demo-llm"}');
        return result[0]?.value;
      },
      30_000,
    );
    expect(desired).toBeGreaterThanOrEqual(1);
    const decisions = await waitFor(
      'decisions in Prometheus',
      async () => {
        const result = await promQuery(prometheus, 'sum(tide_decisions_total{job="tide"})');
        return result[0] && result[0].value > 0 ? result[0].value : undefined;
      },
      30_000,
    );
    expect(decisions).toBeGreaterThan(0);
    const info = await promQuery(prometheus, 'tide_target_info{job="tide"}');
    expect(info.map((s) => [s.labels.target, s.labels.provider, s.labels.kind])).toEqual([
      ['demo-llm', 'simulated', 'inference-endpoint'],
    ]);
    const pool = await promQuery(prometheus, 'tide_pool_ready_capacity{job="tide"}');
    expect(pool[0]?.labels).toMatchObject({ target: 'demo-llm', pool: 'primary', capacity_type: 'on-demand' });
    const demand = await waitFor(
      'the tracked metric in Prometheus',
      async () =>
        (await promQuery(prometheus, 'tide_metric_value{job="tide",metric="concurrent_requests_per_replica"}'))[0]
          ?.value,
      30_000,
    );
    expect(demand).toBeGreaterThanOrEqual(0);
    // Every query of the Grafana dashboard runs in this Prometheus (variables as "All") and finds series.
    for (const { where, expr } of dashboardQueries()) {
      const promql = expr.replaceAll('$__rate_interval', '1m').replace(/\$(target|provider)\b/g, '.*');
      const answer = (await (
        await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`, {
          signal: AbortSignal.timeout(5000),
        })
      ).json()) as { status: string; error?: string };
      expect(answer.status, `${where}: ${answer.error ?? ''}`).toBe('success');
    }
    // The scrape without credentials: Tide answers 401, so Prometheus marks the target down.
    const up = await waitFor(
      'the keyless scrape to be recorded',
      async () => (await promQuery(prometheus, 'up{job="tide-no-key"}'))[0]?.value,
    );
    expect(up).toBe(0);
  }, 60_000);
});

/** vLLM's KV-cache gauge and DCGM's utilisation, two GPUs of two serving pods (for the example policies). */
const OTHER_SERIES = [
  '# TYPE vllm:gpu_cache_usage_perc gauge',
  'vllm:gpu_cache_usage_perc{model_name="llama-3-8b"} 0.42',
  '# TYPE DCGM_FI_DEV_GPU_UTIL gauge',
  'DCGM_FI_DEV_GPU_UTIL{gpu="0",Hostname="node-1",namespace="inference",pod="llm-0"} 63',
  'DCGM_FI_DEV_GPU_UTIL{gpu="0",Hostname="node-2",namespace="inference",pod="llm-1"} 81',
  'DCGM_FI_DEV_GPU_UTIL{gpu="1",Hostname="node-2",namespace="batch",pod="train-0"} 99',
  '',
].join('\n');

describe('Prometheus as a metric source', () => {
  let exporter: Server;
  let exporterPort = 0;
  let waiting: number | null = 12;
  let prometheus: Daemon;
  beforeAll(async () => {
    // vLLM's gauge as its /metrics exposes it (a colon in the name, a model_name label).
    exporter = createServer((_, response) => {
      response.setHeader('content-type', 'text/plain; version=0.0.4');
      response.end(
        waiting === null
          ? '# no series\n'
          : `# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{model_name="llama-3-8b"} ${waiting}\n${OTHER_SERIES}`,
      );
    });
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    exporterPort = (exporter.address() as { port: number }).port;
    prometheus = await startPrometheus({
      global: { scrape_interval: '1s', scrape_timeout: '900ms' },
      scrape_configs: [{ job_name: 'vllm', static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] }],
    });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.close();
    await new Promise((resolve) => exporter?.close(resolve));
  });

  const QUERY = 'sum(vllm:num_requests_waiting{model_name="llama-3-8b"})';
  const promHas = (value: number) =>
    waitFor(
      `Prometheus to see ${value} waiting`,
      async () => {
        const result = await prometheusInstantQuery(prometheus.url, QUERY, { timeoutMs: 2000 });
        return result.ok && result.value === value ? true : undefined;
      },
      30_000,
    );

  it('the tick queries Prometheus and scales on the value; an empty result is a missing sample', async () => {
    const api = await startApi();
    const { runtime, clock, keys } = api;
    await api.request('PUT', '/v1/targets/llm', { key: keys.write, body: demoTarget('llm') });
    const policy = demoPolicy({
      minCapacity: 1,
      maxCapacity: 20,
      targetTracking: [
        {
          metric: 'vllm_requests_waiting',
          metricType: 'total',
          targetValue: 2,
          windowSeconds: 0,
          prometheus: { server: prometheus.url, query: QUERY, timeoutSeconds: 2 },
        },
      ],
      missingMetrics: { failureThreshold: 2, action: 'hold' },
    });
    const put = await api.request('PUT', '/v1/targets/llm/policy', { key: keys.write, body: policy });
    expect(put.status).toBe(200);
    const ticker = new Ticker({
      ...runtime,
      tickMs: 60_000,
      metricSource: createPrometheusSource({ store: runtime.store, logger: runtime.logger }),
    });
    const decisions = async () =>
      (
        (await (await api.request('GET', '/v1/targets/llm/decisions?limit=50', { key: keys.read })).json()) as {
          decisions: {
            outcome: string;
            desiredCapacity: number;
            reasons: string[];
            signal: { kind: string; source: string; detail: string };
          }[];
        }
      ).decisions;
    const tick = async () => {
      clock.advance(60_000);
      await ticker.tick();
    };

    // 12 waiting, 2 per replica: 6.
    await promHas(12);
    await tick();
    const first = (await decisions()).find((d) => d.signal.source === 'prometheus');
    expect(first?.signal).toMatchObject({
      kind: 'metric',
      detail: expect.stringContaining('vllm_requests_waiting = 12'),
    });
    expect(first?.desiredCapacity).toBe(6);
    expect(first?.reasons.join(' ')).toContain('vllm_requests_waiting 12 vs target 2');

    // 20 waiting: 10.
    waiting = 20;
    await promHas(20);
    await tick();
    expect((await decisions()).find((d) => d.signal.source === 'prometheus')?.desiredCapacity).toBe(10);

    // The series goes away (the exporter stops exporting it): an empty result, a missing sample.
    waiting = null;
    await waitFor(
      'the series to go stale in Prometheus',
      async () => {
        const result = await prometheusInstantQuery(prometheus.url, QUERY, { timeoutMs: 2000 });
        return !result.ok && /empty result/.test(result.error) ? true : undefined;
      },
      30_000,
    );
    await tick();
    const failure = (await decisions()).find((d) => d.signal.source === 'prometheus');
    expect(failure?.signal.kind).toBe('metric-failure');
    expect(failure?.signal.detail).toContain('no series');
    waiting = 12;
  }, 60_000);

  it("the example policies' queries (vLLM waiting requests and KV cache, DCGM utilisation) each give one value", async () => {
    const expected: Record<string, number> = {
      'vllm-waiting-requests': 12,
      'vllm-kv-cache': 42,
      'dcgm-gpu-utilization': 72,
    };
    await promHas(12);
    for (const [name, value] of Object.entries(expected)) {
      const text = readFileSync(new URL(`../../../examples/${name}.policy.json`, import.meta.url), 'utf8');
      const policy = PolicySchema.parse(JSON.parse(text));
      const source = policy.targetTracking[0]!.prometheus!;
      expect(source.server).toBe('http://prometheus:9090');
      const result = await prometheusInstantQuery(prometheus.url, source.query, { timeoutMs: 2000 });
      expect(result.ok && Math.round(result.value * 1000) / 1000, name).toBe(value);
    }
  });

  it('a server that is not there: three attempts, then a typed reason, no throw', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const result = await prometheusInstantQuery(`http://127.0.0.1:${closed}`, 'up', { timeoutMs: 500, backoffMs: 10 });
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/could not reach .* \(after 3 attempts\)/) });
    const several = await prometheusInstantQuery(prometheus.url, 'up or vector(1)', { timeoutMs: 2000 });
    expect(several).toEqual({ ok: false, error: expect.stringContaining('returned 2 series') });
    const bad = await prometheusInstantQuery(prometheus.url, 'sum(', { timeoutMs: 2000 });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toContain('Prometheus answered 400');
  });
});
