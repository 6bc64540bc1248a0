/** Trigger matching: which targets a signal is for. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../../../core/schema/policy.ts';
import type { Signal } from '../../../core/schema/signal.ts';
import { TriggerSchema, type Trigger } from '../../../core/schema/trigger.ts';
import {
  routeSignal,
  routeSignals,
  triggerMatches,
  type RoutableSignal,
  type SignalRoute,
} from '../../../core/triggers/index.ts';

/** An alarm signal with its route; fields default to a CloudWatch alarm on a SageMaker endpoint. */
function alarm(overrides: Partial<SignalRoute> = {}, metric = 'ConcurrentRequestsPerModel'): RoutableSignal {
  const route: SignalRoute = {
    source: 'aws-cloudwatch',
    alarmName: 'tide-llama-concurrency-high',
    dimensions: { EndpointName: 'llama', VariantName: 'AllTraffic' },
    resourceIds: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:tide-llama-concurrency-high'],
    ...overrides,
  };
  const signal: Signal = {
    kind: 'alarm',
    alarmName: route.alarmName ?? 'unnamed',
    state: 'ALARM',
    metric,
    value: 5.5,
    observedAt: 1_773_063_125_118,
    source: route.source,
    eventId: 'e-1',
  };
  return { signal, route };
}

function spot(route: Partial<SignalRoute> = {}): RoutableSignal {
  return {
    signal: {
      kind: 'spot-interruption',
      instanceId: 'i-1',
      action: 'terminate',
      deadlineAt: 120_000,
      observedAt: 0,
      source: 'aws-ec2',
    },
    route: {
      source: 'aws-ec2',
      dimensions: { InstanceId: 'i-1', region: 'us-east-2' },
      resourceIds: ['i-1'],
      ...route,
    },
  };
}

const trigger = (fields: Partial<Trigger> & Pick<Trigger, 'source'>): Trigger => TriggerSchema.parse(fields);

describe('triggerMatches', () => {
  it.each([
    { name: 'source only', trigger: trigger({ source: 'aws-cloudwatch' }), signal: alarm(), matches: true },
    {
      name: 'any source',
      trigger: trigger({ source: 'any' }),
      signal: alarm({ source: 'gcp-monitoring' }),
      matches: true,
    },
    { name: 'other source', trigger: trigger({ source: 'azure-monitor' }), signal: alarm(), matches: false },
    {
      name: 'exact alarm name',
      trigger: trigger({ source: 'aws-cloudwatch', alarmName: 'tide-llama-concurrency-high' }),
      signal: alarm(),
      matches: true,
    },
    {
      name: 'alarm names are case-sensitive',
      trigger: trigger({ source: 'aws-cloudwatch', alarmName: 'TIDE-llama-concurrency-high' }),
      signal: alarm(),
      matches: false,
    },
    {
      name: 'alarm name prefix glob',
      trigger: trigger({ source: 'aws-cloudwatch', alarmName: 'tide-llama-*' }),
      signal: alarm(),
      matches: true,
    },
    {
      name: 'alarm name infix glob',
      trigger: trigger({ source: 'aws-cloudwatch', alarmName: 'tide-*-high' }),
      signal: alarm(),
      matches: true,
    },
    {
      name: 'glob that does not fit',
      trigger: trigger({ source: 'aws-cloudwatch', alarmName: 'tide-*-low' }),
      signal: alarm(),
      matches: false,
    },
    {
      name: 'glob parts may not overlap',
      trigger: trigger({ source: 'aws-cloudwatch', alarmName: 'ab*ba' }),
      signal: alarm({ alarmName: 'aba' }),
      matches: false,
    },
    {
      name: 'alarm name when the event has none',
      trigger: trigger({ source: 'aws-cloudwatch', alarmName: '*' }),
      signal: alarm({ alarmName: undefined }),
      matches: false,
    },
    {
      name: 'dimension subset',
      trigger: trigger({ source: 'aws-cloudwatch', dimensions: { EndpointName: 'llama' } }),
      signal: alarm(),
      matches: true,
    },
    {
      name: 'dimension value differs',
      trigger: trigger({ source: 'aws-cloudwatch', dimensions: { EndpointName: 'mistral' } }),
      signal: alarm(),
      matches: false,
    },
    {
      name: 'dimension missing',
      trigger: trigger({ source: 'aws-cloudwatch', dimensions: { Pool: 'a' } }),
      signal: alarm(),
      matches: false,
    },
    {
      name: 'every field must match',
      trigger: trigger({ source: 'aws-cloudwatch', alarmName: 'tide-llama-*', dimensions: { VariantName: 'Canary' } }),
      signal: alarm(),
      matches: false,
    },
    {
      name: 'resource id among several',
      trigger: trigger({ source: 'aws-ec2', resourceId: 'i-1' }),
      signal: spot({ resourceIds: ['arn:x', 'i-1'] }),
      matches: true,
    },
    {
      name: 'Azure resource ids ignore case',
      trigger: trigger({
        source: 'azure-monitor',
        resourceId: '/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM1',
      }),
      signal: alarm({
        source: 'azure-monitor',
        resourceIds: ['/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1'],
      }),
      matches: true,
    },
    {
      name: 'other resource ids keep case',
      trigger: trigger({ source: 'aws-ec2', resourceId: 'I-1' }),
      signal: spot(),
      matches: false,
    },
    {
      name: 'kind filter keeps',
      trigger: trigger({ source: 'aws-ec2', kinds: ['spot-interruption'] }),
      signal: spot(),
      matches: true,
    },
    {
      name: 'kind filter drops',
      trigger: trigger({ source: 'aws-ec2', kinds: ['rebalance-recommendation'] }),
      signal: spot(),
      matches: false,
    },
  ])('$name → $matches', ({ trigger: t, signal, matches }) => {
    expect(triggerMatches(t, signal.route, signal.signal)).toBe(matches);
  });
});

describe('routeSignals', () => {
  const targets = [
    {
      targetId: 'llama',
      triggers: [
        trigger({ source: 'aws-ec2' }),
        trigger({ source: 'aws-cloudwatch', alarmName: 'tide-llama-*', metric: 'concurrent_requests_per_replica' }),
      ],
    },
    { targetId: 'dashboard', triggers: [trigger({ source: 'any' })] },
    { targetId: 'mistral', triggers: [trigger({ source: 'aws-cloudwatch', dimensions: { EndpointName: 'mistral' } })] },
  ];

  it('delivers one event to every target that takes it, through the first matching trigger', () => {
    const routing = routeSignals(targets, [alarm()]);
    expect(
      routing.deliveries.map((d) => [d.targetId, d.triggerIndex, d.signal.kind === 'alarm' ? d.signal.metric : null]),
    ).toEqual([
      ['llama', 1, 'concurrent_requests_per_replica'],
      ['dashboard', 0, 'ConcurrentRequestsPerModel'],
    ]);
    expect(routing.unmatched).toEqual([]);
  });

  it('returns what no target takes as unmatched, not as an error', () => {
    const stray = alarm({ source: 'gcp-monitoring', alarmName: 'other' });
    expect(routeSignals([targets[0]!, targets[2]!], [stray])).toEqual({ deliveries: [], unmatched: [stray] });
  });

  it('leaves signals without a metric alone when a trigger renames', () => {
    const renaming = [{ targetId: 't', triggers: [trigger({ source: 'aws-ec2', metric: 'renamed' })] }];
    const [delivery] = routeSignal(renaming, spot());
    expect(delivery?.signal).toEqual(spot().signal);
  });

  it('never changes the signal it was given', () => {
    const given = alarm();
    const before = structuredClone(given);
    routeSignals(targets, [given]);
    expect(given).toEqual(before);
  });

  it('a target with no triggers takes nothing; an `any` trigger takes everything (property)', () => {
    const routeArb = fc.record({
      source: fc.constantFrom(
        'aws-cloudwatch',
        'aws-ec2',
        'gcp-monitoring',
        'alertmanager',
        'schedule',
      ) as fc.Arbitrary<SignalRoute['source']>,
      alarmName: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
      dimensions: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 4 }),
      resourceIds: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(routeArb, (route) => {
        const routable = { ...alarm(), route };
        const routing = routeSignals(
          [
            { targetId: 'none', triggers: [] },
            { targetId: 'all', triggers: [trigger({ source: 'any' })] },
          ],
          [routable],
        );
        expect(routing.deliveries.map((d) => d.targetId)).toEqual(['all']);
      }),
    );
  });

  it('a glob of the exact name, or with * in place of any part, matches (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 10 }),
        fc.string({ maxLength: 10 }),
        fc.string({ maxLength: 10 }),
        (a, b, c) => {
          const name = `${a}${b}${c}`;
          if (name.length === 0) return;
          const route = alarm({ alarmName: name }).route;
          const signal = alarm().signal;
          for (const pattern of [name.replaceAll('*', ''), `${a}*${c}`, `*${b}*`, `${a}*`, `*${c}`, '*']) {
            if (pattern === name.replaceAll('*', '') && name.includes('*')) continue;
            expect(triggerMatches(trigger({ source: 'aws-cloudwatch', alarmName: pattern }), route, signal)).toBe(true);
          }
        },
      ),
    );
  });
});

describe('TriggerSchema in a policy', () => {
  it('parses the triggers of a policy document and refuses an unknown source', () => {
    const ok = PolicySchema.safeParse({
      triggers: [{ source: 'alertmanager', alarmName: 'TideGpuUtilizationHigh', metric: 'gpu_utilization' }],
    });
    expect(ok.success && ok.data.triggers).toEqual([
      { source: 'alertmanager', alarmName: 'TideGpuUtilizationHigh', metric: 'gpu_utilization' },
    ]);
    const bad = PolicySchema.safeParse({ triggers: [{ source: 'aws-kinesis' }] });
    expect(bad.success).toBe(false);
  });
});
