import { describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  InsufficientCapacityError,
  NodeNotFoundError,
  PoolNotFoundError,
  ThrottledError,
} from '../../../adapters/ports/actuator.ts';
import type { AutoScalingGroupsActuator } from '../../../adapters/aws/index.ts';
import { launchKeyOf } from '../../../adapters/aws/auto-scaling-groups.ts';
import type { FakeInstance } from '../../support/aws/ec2-model.ts';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { groupsTarget, useFakeAws } from './setup.ts';

const fake = useFakeAws();
const asg = (groups: Record<string, string>, mode: 'act' | 'dry-run' = 'act') =>
  fake.actuator(groupsTarget(groups), mode) as AutoScalingGroupsActuator;

describe('EC2 Auto Scaling groups actuator (real SDK client, query protocol, wire-level fake)', () => {
  it('observes every pool’s group in one call: desired, in service, pending, nodes, warm pool; a spot pool’s live price', async () => {
    const spot = fake.aws.ec2.addGroup('obs-spot', 'g5.12xlarge', 2);
    fake.aws.ec2.addGroup('obs-od', 'g5.12xlarge', 1);
    spot.desired = 3;
    spot.instances.push({ ...(spot.instances[0] as FakeInstance), InstanceId: 'i-pending', LifecycleState: 'Pending' });
    (spot.instances[0] as { LifecycleState: string }).LifecycleState = 'Terminating:Wait';
    spot.warm = { config: { MinSize: 2, PoolState: 'Stopped' }, instances: [] };
    fake.aws.ec2.spotPrices = [
      { instanceType: 'g5.12xlarge', availabilityZone: 'us-east-1a', spotPrice: '2.10', timestamp: new Date() },
      { instanceType: 'g5.12xlarge', availabilityZone: 'us-east-1b', spotPrice: '1.90', timestamp: new Date() },
    ];
    const observed = await asg({ 'g5-spot': 'obs-spot', 'g5-od': 'obs-od' }).readCapacity('train');
    expect(observed.pools.map(({ nodes, ...pool }) => ({ ...pool, states: nodes?.map((n) => n.state) }))).toEqual([
      {
        poolId: 'g5-spot',
        instanceType: 'g5.12xlarge',
        capacityType: 'spot',
        desired: 3,
        ready: 1,
        pending: 1,
        warm: 0,
        spotUsdPerHour: 1.9,
        priceNote: expect.stringMatching(
          /^spot price g5\.12xlarge: \$1\.9\/h in us-east-1b from DescribeSpotPriceHistory, \d+ s old$/,
        ),
        placementNote:
          'placement score: GetSpotPlacementScores for g5.12xlarge x 4 in us-east-1 scored no zone of the region: ranked by price alone',
        states: ['draining', 'ready', 'pending'],
      },
      {
        poolId: 'g5-od',
        instanceType: 'g5.12xlarge',
        capacityType: 'on-demand',
        desired: 1,
        ready: 1,
        pending: 0,
        states: ['ready'],
      },
    ]);
    expect(fake.aws.server.requests.map((r) => r.params)).toEqual([
      expect.objectContaining({
        Action: 'DescribeAutoScalingGroups',
        'AutoScalingGroupNames.member.1': 'obs-spot',
        'AutoScalingGroupNames.member.2': 'obs-od',
      }),
      // The spot pool's type only; the on-demand pool needs no spot price.
      expect.objectContaining({ Action: 'DescribeSpotPriceHistory', 'InstanceType.1': 'g5.12xlarge' }),
      // Placement scores for the spot types, 3 desired + 1 rounded up to 4, per zone; then the zones' names.
      expect.objectContaining({
        Action: 'GetSpotPlacementScores',
        'InstanceType.1': 'g5.12xlarge',
        TargetCapacity: '4',
        SingleAvailabilityZone: 'true',
        'RegionName.1': 'us-east-1',
      }),
      expect.objectContaining({ Action: 'DescribeAvailabilityZones' }),
    ]);
  });

  it('spot placement scores per zone, cached 15 min; a failed read keeps the last scores, a first failure is a note', async () => {
    const a = fake.aws.ec2.addGroup('sps-a', 'g5.12xlarge', 1);
    const b = fake.aws.ec2.addGroup('sps-b', 'g6.12xlarge', 1);
    const c = fake.aws.ec2.addGroup('sps-c', 'g6e.12xlarge', 1);
    a.zones = ['us-east-1a'];
    b.zones = ['us-east-1b', 'us-east-1c'];
    c.zones = ['us-east-1c'];
    fake.aws.ec2.placementScores = new Map([
      ['use1-az4', 3], // us-east-1a
      ['use1-az6', 9], // us-east-1b
    ]);
    let now = Date.parse('2026-11-29T18:00:00Z');
    const { createAwsActuator } = await import('../../../adapters/aws/index.ts');
    const { TargetSchema } = await import('../../../core/schema/target.ts');
    const target = TargetSchema.parse({
      ...groupsTarget({ 'a-spot': 'sps-a', 'b-spot': 'sps-b', 'c-spot': 'sps-c' }),
    });
    const actuator = createAwsActuator(target, {
      mode: 'act',
      logger: { info() {}, warn() {} },
      env: process.env,
      clients: fake.clients,
      now: () => now,
    });
    const scoresOf = (observed: Awaited<ReturnType<typeof actuator.readCapacity>>) =>
      observed.pools.map((p) => [p.poolId, p.placementScore, p.placementNote]);
    const first = await actuator.readCapacity('train');
    // The best of a multi-zone group's zones; a zone EC2 did not score gives no score, and says so.
    expect(scoresOf(first)).toEqual([
      [
        'a-spot',
        3,
        expect.stringMatching(
          /^placement score 3\/10 in us-east-1a from GetSpotPlacementScores for g5\.12xlarge, g6\.12xlarge, g6e\.12xlarge x 4 in us-east-1, 0 s old$/,
        ),
      ],
      ['b-spot', 9, expect.stringMatching(/^placement score 9\/10 in us-east-1b /)],
      [
        'c-spot',
        undefined,
        expect.stringMatching(/^placement score: no score for us-east-1c from GetSpotPlacementScores/),
      ],
    ]);
    const [call] = fake.aws.server.calls('ec2', 'GetSpotPlacementScores');
    expect(call?.params).toMatchObject({
      'InstanceType.1': 'g5.12xlarge',
      'InstanceType.2': 'g6.12xlarge',
      'InstanceType.3': 'g6e.12xlarge',
    });

    now += 14 * 60_000;
    await actuator.readCapacity('train');
    expect(fake.aws.server.calls('ec2', 'GetSpotPlacementScores')).toHaveLength(1); // cached
    expect(fake.aws.server.calls('ec2', 'DescribeAvailabilityZones')).toHaveLength(1);

    now += 60_000;
    fake.aws.server.fail({ service: 'ec2', action: 'GetSpotPlacementScores' }, 'throttle', 3);
    const throttled = await actuator.readCapacity('train');
    expect(scoresOf(throttled)[1]).toEqual([
      'b-spot',
      9,
      expect.stringMatching(
        /x 4 in us-east-1, 900 s old; the last read failed \(ec2:GetSpotPlacementScores on region\/us-east-1 throttled/,
      ),
    ]);
    expect(fake.aws.server.calls('ec2', 'GetSpotPlacementScores')).toHaveLength(4); // 1 + 3 attempts

    now += 2 * 3_600_000; // stale, and the next read is denied: no scores, the pools rank by price
    fake.aws.server.fail({ service: 'ec2', action: 'GetSpotPlacementScores' }, 'access-denied', 1);
    const stale = await actuator.readCapacity('train');
    expect(scoresOf(stale)[0]).toEqual([
      'a-spot',
      undefined,
      expect.stringMatching(
        /^placement score: GetSpotPlacementScores .* failed \(access denied: ec2:GetSpotPlacementScores on region\/us-east-1\): ranked by price alone$/,
      ),
    ]);
  });

  it('a burst of reads shares one DescribeAutoScalingGroups while the groups are steady, for under a second; never across Tide’s change or a launch', async () => {
    fake.aws.ec2.addGroup('shared-a', 'g5.12xlarge', 2);
    fake.aws.ec2.addGroup('shared-b', 'g5.12xlarge', 1);
    let clock = 1_800_000_000_000;
    const actuator = fake.actuator(groupsTarget({ 'g5-od': 'shared-a', 'g6-od': 'shared-b' }), 'act', {
      now: () => clock,
    });
    const describes = () => fake.aws.server.calls('autoscaling', 'DescribeAutoScalingGroups').length;
    const before = describes();
    const burst = await Promise.all(Array.from({ length: 6 }, () => actuator.readCapacity('train')));
    expect(describes()).toBe(before + 1);
    for (const observed of burst) expect(observed).toEqual(burst[0]);
    clock += 999;
    expect((await actuator.readCapacity('train')).observedAt).toBe(burst[0]?.observedAt);
    expect(describes()).toBe(before + 1);
    clock += 1;
    await actuator.readCapacity('train');
    expect(describes()).toBe(before + 2);
    // Tide's own change forgets the kept read; the group then launches (Pending): read every time.
    await actuator.setCapacity({ poolId: 'g5-od', desired: 3 });
    const launching = describes();
    expect((await actuator.readCapacity('train')).pools[0]).toMatchObject({ desired: 3, ready: 2, pending: 1 });
    await actuator.readCapacity('train');
    expect(describes()).toBe(launching + 2);
    fake.aws.advance();
    expect((await actuator.readCapacity('train')).pools[0]).toMatchObject({ desired: 3, ready: 3, pending: 0 });
    await actuator.readCapacity('train');
    expect(describes()).toBe(launching + 3);
    const every = fake.actuator(groupsTarget({ 'g5-od': 'shared-a' }), 'act', { steadyObservationMs: 0 });
    await every.readCapacity('train');
    await every.readCapacity('train');
    expect(describes()).toBe(launching + 5);
  });

  it('set-capacity and launch-capacity set absolute counts with SetDesiredCapacity (HonorCooldown=false)', async () => {
    fake.aws.ec2.addGroup('set', 'g5.12xlarge', 1);
    const actuator = asg({ 'g5-od': 'set' });
    await actuator.setCapacity({ poolId: 'g5-od', desired: 3 });
    const launched = await actuator.launchCapacity({
      poolId: 'g5-od',
      instanceType: 'g5.12xlarge',
      capacityType: 'on-demand',
      count: 2,
    });
    expect(launched).toHaveLength(2);
    expect(fake.aws.server.calls('autoscaling', 'SetDesiredCapacity').map((r) => r.params)).toEqual([
      {
        Action: 'SetDesiredCapacity',
        Version: '2011-01-01',
        AutoScalingGroupName: 'set',
        DesiredCapacity: '3',
        HonorCooldown: 'false',
      },
      {
        Action: 'SetDesiredCapacity',
        Version: '2011-01-01',
        AutoScalingGroupName: 'set',
        DesiredCapacity: '5',
        HonorCooldown: 'false',
      },
    ]);
    fake.aws.advance();
    expect((await actuator.readCapacity('train')).pools[0]).toMatchObject({ desired: 5, ready: 5, pending: 0 });
  });

  it('a relative launch with an idempotency key acts once: the redelivery sets the same absolute count from the recorded base', async () => {
    const group = fake.aws.ec2.addGroup('idem', 'g5.12xlarge', 2);
    const actuator = asg({ 'g5-spot': 'idem' });
    const request = {
      poolId: 'g5-spot',
      instanceType: 'g5.12xlarge',
      capacityType: 'spot' as const,
      count: 2,
      idempotencyKey: 'evt-spot-1:1',
    };
    const first = await actuator.launchCapacity(request);
    expect(first).toHaveLength(2);
    expect(group.desired).toBe(4);
    // The record went to the group before the change, and does not propagate to instances.
    const calls = fake.aws.server.requests.map((r) => r.action);
    expect(calls.indexOf('CreateOrUpdateTags')).toBeLessThan(calls.indexOf('SetDesiredCapacity'));
    expect(fake.aws.server.calls('autoscaling', 'CreateOrUpdateTags')[0]?.params).toMatchObject({
      'Tags.member.1.ResourceId': 'idem',
      'Tags.member.1.ResourceType': 'auto-scaling-group',
      'Tags.member.1.Key': 'tide:launch',
      'Tags.member.1.PropagateAtLaunch': 'false',
    });
    // Redelivered after a crash between the call and its confirmation: same absolute count, nothing new.
    fake.aws.advance();
    expect(await actuator.launchCapacity(request)).toEqual([]);
    expect(group.desired).toBe(4);
    expect(fake.aws.server.calls('autoscaling', 'SetDesiredCapacity').map((r) => r.params.DesiredCapacity)).toEqual([
      '4',
      '4',
    ]);
    expect(fake.aws.server.calls('autoscaling', 'CreateOrUpdateTags')).toHaveLength(1);
    // A crash after the record but before the change: the redelivery still launches, once, from the base.
    group.tags?.set('tide:launch', {
      Value: JSON.stringify({ k: launchKeyOf('evt-spot-2:0'), b: 4 }),
      PropagateAtLaunch: false,
    });
    await actuator.launchCapacity({ ...request, count: 1, idempotencyKey: 'evt-spot-2:0' });
    expect(group.desired).toBe(5);
    await actuator.launchCapacity({ ...request, count: 1, idempotencyKey: 'evt-spot-2:0' });
    expect(group.desired).toBe(5);
    // Another decision's launch adds to what the group has now.
    await actuator.launchCapacity({ ...request, count: 1, idempotencyKey: 'evt-spot-3:0' });
    expect(group.desired).toBe(6);
  });

  it('a role to assume whose STS endpoint never answers: the request timeout ends the call, bounded attempts', async () => {
    fake.aws.ec2.addGroup('sts-hang', 'g5.12xlarge', 1);
    fake.aws.server.fail({ service: 'sts' as never, action: 'AssumeRole' }, 'timeout', 10);
    const actuator = fake.actuator(
      groupsTarget({ 'g5-od': 'sts-hang' }, { roleArn: 'arn:aws:iam::210987654321:role/tide-hang' }),
    ) as AutoScalingGroupsActuator;
    const started = Date.now();
    const error = await actuator.readCapacity('train').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    // 3 attempts of 1.5 s each at most (setup.ts), plus backoff; without throwOnRequestTimeout it would hang.
    expect(Date.now() - started).toBeLessThan(20_000);
    const attempts = fake.aws.server.requests.filter((r) => r.action === 'AssumeRole').length;
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(3);
    expect(fake.aws.server.calls('autoscaling')).toHaveLength(0);
  }, 30_000);

  it('releases one node after its drain (TerminateInstanceInAutoScalingGroup, decrementing); again: NodeNotFoundError', async () => {
    const group = fake.aws.ec2.addGroup('rel', 'g5.12xlarge', 3);
    const victim = group.instances[1]?.InstanceId as string;
    const actuator = asg({ 'g5-od': 'rel' });
    await actuator.drainAndRelease({ poolId: 'g5-od', instanceId: victim });
    expect(fake.aws.server.calls('autoscaling', 'TerminateInstanceInAutoScalingGroup')[0]?.params).toMatchObject({
      InstanceId: victim,
      ShouldDecrementDesiredCapacity: 'true',
    });
    expect(group.desired).toBe(2);
    await expect(actuator.drainAndRelease({ poolId: 'g5-od', instanceId: victim })).rejects.toBeInstanceOf(
      NodeNotFoundError,
    );
    expect(group.desired).toBe(2);
  });

  it.each([
    ['InsufficientInstanceCapacity'],
    ['SpotMaxPriceTooLow'],
    ['MaxSpotInstanceCountExceeded'],
    ['UnfulfillableCapacity'],
  ])(
    'a launch that fails with %s comes back as InsufficientCapacityError and as a capacity-error signal',
    async (code) => {
      const group = fake.aws.ec2.addGroup(`short-${code}`, 'g5.12xlarge', 1);
      group.shortage = code;
      const since = Date.now() - 1000;
      const actuator = asg({ 'g5-spot': `short-${code}` });
      const error = await actuator.setCapacity({ poolId: 'g5-spot', desired: 3 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InsufficientCapacityError);
      expect(error).toMatchObject({ poolId: 'g5-spot', capacityType: 'spot', code, instanceType: 'g5.12xlarge' });
      const signals = await actuator.capacityErrors(since);
      expect(signals).toEqual([
        expect.objectContaining({
          kind: 'capacity-error',
          poolId: 'g5-spot',
          capacityType: 'spot',
          code,
          source: 'aws-autoscaling',
          eventId: 'aws-autoscaling-activity:act-1',
        }),
      ]);
      expect(await actuator.capacityErrors(Date.now() + 60_000)).toEqual([]);
    },
  );

  it('a warm pool: sized with PutWarmPool, read as warm capacity, and scale-out takes warm instances first', async () => {
    const group = fake.aws.ec2.addGroup('warm', 'g5.12xlarge', 1);
    const actuator = asg({ 'g5-od': 'warm' });
    await actuator.sizeWarmPool('g5-od', 2, 4);
    expect(fake.aws.server.calls('autoscaling', 'PutWarmPool')[0]?.params).toMatchObject({
      MinSize: '2',
      MaxGroupPreparedCapacity: '4',
      PoolState: 'Stopped',
    });
    expect((await actuator.readCapacity('train')).pools[0]).toMatchObject({ warm: 2 });
    const warmIds = group.warm?.instances.map((i) => i.InstanceId);
    const launched = await actuator.launchCapacity({
      poolId: 'g5-od',
      instanceType: 'g5.12xlarge',
      capacityType: 'on-demand',
      count: 2,
    });
    expect(launched).toEqual(warmIds);
  });

  it('the policy sizes warm pools: PutWarmPool only where the group differs, unknown pools reported', async () => {
    fake.aws.ec2.addGroup('wp-a', 'g5.12xlarge', 1);
    const b = fake.aws.ec2.addGroup('wp-b', 'g5.12xlarge', 1);
    b.warm = { config: { MinSize: 1, PoolState: 'Stopped' }, instances: [] };
    const actuator = asg({ 'g5-od': 'wp-a', 'g5-spot': 'wp-b' });
    const policy = PolicySchema.parse({
      warmPools: { 'g5-od': { minSize: 2, maxPreparedCapacity: 6 }, 'g5-spot': { minSize: 1 }, ghost: { minSize: 1 } },
    });
    expect(await actuator.applyWarmPools(policy.warmPools)).toEqual({
      changed: ['g5-od'],
      unchanged: ['g5-spot'],
      unknown: ['ghost'],
    });
    expect(fake.aws.server.calls('autoscaling', 'PutWarmPool').map((r) => r.params)).toEqual([
      expect.objectContaining({
        AutoScalingGroupName: 'wp-a',
        MinSize: '2',
        MaxGroupPreparedCapacity: '6',
        PoolState: 'Stopped',
      }),
    ]);
    // Applied once: the next tick finds it in place and calls nothing.
    expect((await actuator.applyWarmPools(policy.warmPools)).changed).toEqual([]);
    expect(fake.aws.server.calls('autoscaling', 'PutWarmPool')).toHaveLength(1);
    expect((await actuator.readCapacity('train')).pools.map((p) => [p.poolId, p.warm])).toEqual([
      ['g5-od', 2],
      ['g5-spot', 0],
    ]);
  });

  it('a missing group, access denied, throttling: typed errors naming the group and the call', async () => {
    const missing = await asg({ 'g5-od': 'ghost' })
      .setCapacity({ poolId: 'g5-od', desired: 2 })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PoolNotFoundError);
    expect((missing as Error).message).toBe('no pool "g5-od": SetDesiredCapacity: no Auto Scaling group "ghost"');
    await expect(asg({ 'g5-od': 'ghost' }).readCapacity('train')).rejects.toThrow(
      /DescribeAutoScalingGroups: no Auto Scaling group "ghost"/,
    );

    fake.aws.ec2.addGroup('denied', 'g5.12xlarge', 1);
    fake.aws.server.reset();
    fake.aws.server.fail({ service: 'autoscaling', action: 'SetDesiredCapacity' }, 'access-denied', 5);
    const denied = await asg({ 'g5-od': 'denied' })
      .setCapacity({ poolId: 'g5-od', desired: 2 })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect((denied as Error).message).toBe('access denied: autoscaling:SetDesiredCapacity on autoScalingGroup/denied');
    expect(fake.aws.server.calls('autoscaling', 'SetDesiredCapacity')).toHaveLength(1);

    fake.aws.server.reset();
    fake.aws.server.fail({ service: 'autoscaling', action: 'SetDesiredCapacity' }, 'throttle', 5);
    await expect(asg({ 'g5-od': 'denied' }).setCapacity({ poolId: 'g5-od', desired: 2 })).rejects.toBeInstanceOf(
      ThrottledError,
    );
    expect(fake.aws.server.calls('autoscaling', 'SetDesiredCapacity')).toHaveLength(3);
  });

  it('accepts a group ARN and calls with its name', async () => {
    fake.aws.ec2.addGroup('by-arn', 'g5.12xlarge', 2);
    const arn =
      'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0f1e2d3c-aaaa-bbbb-cccc-000000000000:autoScalingGroupName/by-arn';
    expect((await asg({ 'g5-od': arn }).readCapacity('train')).pools[0]?.desired).toBe(2);
  });

  it('dry-run reads and does not change', async () => {
    const group = fake.aws.ec2.addGroup('dry', 'g5.12xlarge', 1);
    const actuator = asg({ 'g5-od': 'dry' }, 'dry-run');
    await actuator.launchCapacity({
      poolId: 'g5-od',
      instanceType: 'g5.12xlarge',
      capacityType: 'on-demand',
      count: 2,
    });
    await actuator.drainAndRelease({ poolId: 'g5-od', instanceId: group.instances[0]?.InstanceId as string });
    expect(fake.aws.server.requests.map((r) => r.action)).toEqual(['DescribeAutoScalingGroups']);
    expect(fake.logs.map((l) => l.fields?.call)).toEqual([
      'autoscaling:SetDesiredCapacity',
      'autoscaling:TerminateInstanceInAutoScalingGroup',
    ]);
    expect(group.desired).toBe(1);
  });
});
