import { describe, expect, it } from 'vitest';
import { createAwsCaller } from '../../../adapters/aws/calls.ts';
import { readAwsMetrics } from '../../../adapters/aws/metrics.ts';
import { createSpotPriceCache } from '../../../adapters/aws/spot-prices.ts';
import { TargetSchema, type Target } from '../../../core/schema/target.ts';
import { endpointTarget, useFakeAws } from './setup.ts';

const fake = useFakeAws();
const caller = createAwsCaller('act', { info() {}, warn() {} });
const NOW = Date.parse('2026-11-29T17:00:00Z');

const withMetrics = (
  id: string,
  metrics: Record<string, unknown>,
  region = 'us-east-1',
): { target: Target; scope: { region: string } } => {
  const input = endpointTarget(id);
  return {
    target: TargetSchema.parse({ ...input, id, resource: { ...(input.resource as object), metrics } }),
    scope: { region },
  };
};

describe('GetMetricData on the tick', () => {
  it('reads every tracked metric of every target in one call per region; no datapoint is a metric-failure', async () => {
    fake.aws.ec2.metrics.set('AWS/SageMaker/GPUUtilization', [
      [NOW / 1000 - 120, 40],
      [NOW / 1000 - 60, 87.5],
    ]);
    fake.aws.ec2.metrics.set('AWS/SageMaker/ConcurrentRequestsPerModel', [[NOW / 1000 - 60, 3]]);
    const gpu = { namespace: 'AWS/SageMaker', metricName: 'GPUUtilization', dimensions: { EndpointName: 'a' } };
    const results = await readAwsMetrics(
      [
        withMetrics('a', {
          gpu_utilization: gpu,
          concurrency: { namespace: 'AWS/SageMaker', metricName: 'ConcurrentRequestsPerModel', stat: 'Maximum' },
        }),
        withMetrics('b', { gpu_utilization: gpu, queue: { namespace: 'Custom', metricName: 'Nothing' } }),
        withMetrics('c', { gpu_utilization: gpu }, 'eu-west-1'),
      ],
      NOW,
      { clients: fake.clients, caller },
    );
    expect(
      results.map((r) => [
        r.targetId,
        r.signal.kind,
        r.signal.metric,
        'value' in r.signal ? r.signal.value : r.signal.error,
      ]),
    ).toEqual([
      ['a', 'metric', 'gpu_utilization', 87.5],
      ['a', 'metric', 'concurrency', 3],
      ['b', 'metric', 'gpu_utilization', 87.5],
      ['b', 'metric-failure', 'queue', 'no datapoint in the last 300 s (Complete)'],
      ['c', 'metric', 'gpu_utilization', 87.5],
    ]);
    const calls = fake.aws.server.calls('monitoring', 'GetMetricData');
    expect(calls).toHaveLength(2); // us-east-1 and eu-west-1
    expect((calls[0]?.params.MetricDataQueries as unknown[] | undefined)?.length).toBe(4);
    expect(calls[0]?.params.MetricDataQueries).toContainEqual({
      Id: 'm1',
      MetricStat: {
        Metric: { Namespace: 'AWS/SageMaker', MetricName: 'ConcurrentRequestsPerModel', Dimensions: [] },
        Period: 60,
        Stat: 'Maximum',
      },
      ReturnData: true,
    });
    expect(results[0]?.signal).toMatchObject({
      observedAt: NOW - 60_000,
      source: 'aws-cloudwatch',
      eventId: `aws-cloudwatch:a:gpu_utilization:${NOW - 60_000}`,
    });
  });

  it('batches above 500 queries (CloudWatch’s limit) into several calls', async () => {
    const metrics = Object.fromEntries(
      Array.from({ length: 501 }, (_, i) => [`m${i}`, { namespace: 'N', metricName: `M${i}` }]),
    );
    const results = await readAwsMetrics([withMetrics('big', metrics)], NOW, { clients: fake.clients, caller });
    expect(results).toHaveLength(501);
    expect(
      fake.aws.server.calls('monitoring', 'GetMetricData').map((c) => (c.params.MetricDataQueries as unknown[]).length),
    ).toEqual([500, 1]);
  });

  it('a failing GetMetricData (after its retries) gives metric-failure signals, not a thrown tick', async () => {
    fake.aws.server.fail({ service: 'monitoring' }, 'server-error', 3);
    const results = await readAwsMetrics([withMetrics('x', { gpu: { namespace: 'N', metricName: 'M' } })], NOW, {
      clients: fake.clients,
      caller,
    });
    expect(results[0]?.signal).toMatchObject({
      kind: 'metric-failure',
      error: expect.stringMatching(/GetMetricData failed/),
    });
    expect(fake.aws.server.calls('monitoring')).toHaveLength(3);
  });
});

describe('spot prices', () => {
  it('live prices with their age; stale or missing ones fall back to the catalog with a reason; cached between ticks', async () => {
    let now = NOW;
    fake.aws.ec2.spotPrices = [
      {
        instanceType: 'g5.xlarge',
        availabilityZone: 'us-east-1a',
        spotPrice: '0.4521',
        timestamp: new Date(NOW - 600_000),
      },
      {
        instanceType: 'g5.xlarge',
        availabilityZone: 'us-east-1b',
        spotPrice: '0.3987',
        timestamp: new Date(NOW - 300_000),
      },
      {
        instanceType: 'p4d.24xlarge',
        availabilityZone: 'us-east-1a',
        spotPrice: '9.5',
        timestamp: new Date(NOW - 8 * 3_600_000),
      },
    ];
    const cache = createSpotPriceCache({ clients: fake.clients, caller, now: () => now });
    const prices = await cache.prices({ region: 'us-east-1' }, ['g5.xlarge', 'p4d.24xlarge', 'g6.xlarge']);
    expect(prices.overrides).toEqual([{ name: 'g5.xlarge', spotUsdPerHour: 0.3987 }]);
    expect(prices.notes[0]).toBe(
      'spot price g5.xlarge: $0.3987/h in us-east-1b from DescribeSpotPriceHistory, 300 s old',
    );
    expect(prices.notes[1]).toMatch(
      /^spot price g6.xlarge: DescribeSpotPriceHistory has no Linux\/UNIX price for it in us-east-1; using the catalog's estimate \$[\d.]+\/h$/,
    );
    expect(prices.notes[2]).toMatch(
      /^spot price p4d.24xlarge: the price from DescribeSpotPriceHistory is 28800 s old \(stale after 21600 s\)/,
    );
    const [call] = fake.aws.server.calls('ec2', 'DescribeSpotPriceHistory');
    expect(call?.params).toMatchObject({
      'InstanceType.1': 'g5.xlarge',
      'InstanceType.2': 'g6.xlarge',
      'ProductDescription.1': 'Linux/UNIX',
    });

    now += 60_000;
    await cache.prices({ region: 'us-east-1' }, ['g6.xlarge', 'p4d.24xlarge', 'g5.xlarge']);
    expect(fake.aws.server.calls('ec2').map((c) => c.attempt)).toEqual(['attempt=1; max=3']); // cached for 5 minutes

    now += 5 * 60_000;
    fake.aws.server.fail({ service: 'ec2' }, 'access-denied', 1);
    const after = await cache.prices({ region: 'us-east-1' }, ['g5.xlarge', 'g6.xlarge', 'p4d.24xlarge']);
    // The read failed: the last good price is kept, aging (660 s by now).
    expect(after.overrides).toEqual([{ name: 'g5.xlarge', spotUsdPerHour: 0.3987 }]);
    expect(after.notes[0]).toMatch(/660 s old$/);
    const fresh = createSpotPriceCache({ clients: fake.clients, caller, now: () => now });
    fake.aws.server.fail({ service: 'ec2' }, 'access-denied', 1);
    const none = await fresh.prices({ region: 'us-east-1' }, ['g5.xlarge']);
    expect(none.overrides).toEqual([]);
    expect(none.notes[0]).toMatch(
      /^spot price g5.xlarge: DescribeSpotPriceHistory failed \(access denied: ec2:DescribeSpotPriceHistory on region\/us-east-1\); using the catalog's estimate/,
    );
  });
});
