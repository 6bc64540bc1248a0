/**
 * infra/grafana/tide.json names only metrics that Tide's `/metrics` exports: every panel query and every
 * variable query is read for its metric names (PromQL with strings, label matchers, ranges, grouping
 * clauses and function calls taken out), and each must be a series name in the exposition of a runtime
 * with the fleet gauges on. (test/functions/serve/prometheus.test.ts runs the same queries in a real
 * Prometheus scraping tide serve.)
 */
import { describe, expect, it } from 'vitest';
import { createFleetGauges } from '../../functions/serve/fleet-gauges.ts';
import { demoPolicy, demoTarget, startApi } from '../functions/http/support.ts';
import { DASHBOARD, dashboardQueries, metricNamesOf } from '../support/grafana.ts';

describe('the Grafana dashboard', () => {
  it('has panels for decisions, actions and failures, capacity against demand, $/h against caps, event latency', () => {
    const titles = DASHBOARD.panels.map((panel) => panel.title).join(' | ');
    for (const word of [
      'Decisions by outcome',
      'Actions and failures',
      'Capacity against demand',
      '$/h against the caps',
      'Event latency',
    ])
      expect(titles).toContain(word);
    expect(DASHBOARD.templating.list.map((variable) => variable.name)).toEqual(['datasource', 'provider', 'target']);
  });

  it('reads metric names out of PromQL', () => {
    expect(
      metricNamesOf(
        'histogram_quantile(0.95, sum by (le, source) (rate(tide_event_handling_seconds_bucket{a="x y"}[5m]))) * on (target) group_left (provider) tide_target_info',
      ),
    ).toEqual(['tide_event_handling_seconds_bucket', 'tide_target_info']);
  });

  it("names only metrics that Tide's /metrics exports", async () => {
    const api = await startApi();
    await api.request('PUT', '/v1/targets/llm', { key: api.keys.write, body: demoTarget('llm') });
    await api.request('PUT', '/v1/targets/llm/policy', {
      key: api.keys.write,
      body: demoPolicy({ spendCaps: { targetUsdPerHour: 50 } }),
    });
    const gauges = createFleetGauges({
      store: api.runtime.store,
      observe: (target) => api.runtime.cloud.portFor(target).readCapacity(target.id),
      metrics: api.runtime.metrics,
      registry: await api.runtime.metrics.registry(),
      logger: api.runtime.logger,
    });
    await gauges.refresh();
    const text = await (await api.request('GET', '/metrics', { key: api.keys.read })).text();
    const exported = new Set<string>();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exported.add(name!);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${name}${suffix}`);
    }
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(10);
    const unknown = queries.flatMap(({ where, expr }) =>
      metricNamesOf(expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });
});
