/** Cloud Monitoring reads on a tick, at the wire: one `timeSeries.list` per metric type and project. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GcpClients } from '../../../adapters/gcp/clients.ts';
import { readGcpMetrics, type TimeSeriesQueries } from '../../../adapters/gcp/metrics.ts';
import { GcpMetricBindingSchema } from '../../../core/schema/resource-gcp.ts';
import { startGcpFake, type GcpFake } from '../../support/gcp-fake.ts';
import { blockedConnections } from '../../support/loopback-guard.ts';
import { clientsFor, TEST_CALL_POLICY } from './support.ts';

let fake: GcpFake;
let clients: GcpClients;

beforeAll(async () => {
  fake = await startGcpFake();
  clients = clientsFor(fake);
}, 60_000);
afterAll(async () => {
  await clients.close();
  await fake.close();
  expect(blockedConnections).toEqual([]);
});

const WAITING = 'custom.googleapis.com/vllm/num_requests_waiting';
const binding = (project: string, filter?: string) =>
  GcpMetricBindingSchema.parse({ project, type: WAITING, ...(filter ? { filter } : {}) });
const queries = () => fake.requests.filter((r) => r.path.endsWith('/timeSeries'));

describe('tracked metrics on a tick', () => {
  const now = Date.parse('2026-11-30T02:00:00Z');
  beforeEach(() => {
    fake.requests.length = 0;
    fake.clearFaults();
    fake.metrics.set(WAITING, 7);
  });

  it('targets that track the same metric type in the same project share one query per tick', async () => {
    const tick: TimeSeriesQueries = new Map();
    const [a, b] = await Promise.all([
      readGcpMetrics(clients, { waiting: binding('p1') }, now, TEST_CALL_POLICY, tick),
      readGcpMetrics(clients, { queue: binding('p1') }, now, TEST_CALL_POLICY, tick),
    ]);
    expect(a).toEqual([expect.objectContaining({ kind: 'metric', metric: 'waiting', value: 7 })]);
    expect(b).toEqual([expect.objectContaining({ kind: 'metric', metric: 'queue', value: 7 })]);
    expect(queries()).toHaveLength(1);
    // The next tick asks again.
    await readGcpMetrics(clients, { waiting: binding('p1') }, now + 60_000, TEST_CALL_POLICY, new Map());
    expect(queries()).toHaveLength(2);
  });

  it('another project or another filter is a query of its own', async () => {
    const tick: TimeSeriesQueries = new Map();
    await readGcpMetrics(
      clients,
      { a: binding('p1'), b: binding('p2'), c: binding('p1', 'resource.labels.endpoint_id = "e1"') },
      now,
      TEST_CALL_POLICY,
      tick,
    );
    expect(queries().map((r) => `${r.path} ${r.query.get('filter')}`)).toEqual(
      expect.arrayContaining([
        `/v3/projects/p1/timeSeries metric.type = "${WAITING}"`,
        `/v3/projects/p2/timeSeries metric.type = "${WAITING}"`,
        `/v3/projects/p1/timeSeries metric.type = "${WAITING}" AND resource.labels.endpoint_id = "e1"`,
      ]),
    );
    expect(queries()).toHaveLength(3);
  });

  it('a shared query that fails is a metric-failure for each metric that asked', async () => {
    fake.inject({
      kind: 'http',
      status: 403,
      body: {
        error: { code: 403, message: 'Permission monitoring.timeSeries.list denied', status: 'PERMISSION_DENIED' },
      },
      match: (r) => r.path.endsWith('/timeSeries'),
      times: 5,
    });
    const tick: TimeSeriesQueries = new Map();
    const signals = (
      await Promise.all([
        readGcpMetrics(clients, { waiting: binding('p1') }, now, TEST_CALL_POLICY, tick),
        readGcpMetrics(clients, { queue: binding('p1') }, now, TEST_CALL_POLICY, tick),
      ])
    ).flat();
    expect(signals.map((s) => [s.kind, 'metric' in s ? s.metric : ''])).toEqual([
      ['metric-failure', 'waiting'],
      ['metric-failure', 'queue'],
    ]);
    expect(queries()).toHaveLength(1);
  });
});
