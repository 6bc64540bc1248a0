import { AwsWireError, queryList } from './wire-server.ts';

/**
 * EC2 Auto Scaling groups, spot prices, CloudWatch metrics and alarms, and EventBridge buses as the fake
 * keeps them. A group launches on SetDesiredCapacity unless it is told it has no capacity (`shortage`): then
 * the launch fails with a scaling activity, as EC2 Auto Scaling reports it. `advance()` boots pending
 * instances.
 */

export interface FakeInstance {
  InstanceId: string;
  InstanceType: string;
  AvailabilityZone: string;
  LifecycleState: string;
  HealthStatus: 'Healthy' | 'Unhealthy';
  ProtectedFromScaleIn: boolean;
}
export interface FakeGroup {
  name: string;
  instanceType: string;
  min: number;
  max: number;
  desired: number;
  instances: FakeInstance[];
  /** Instances kept stopped in the warm pool (`Warmed:Stopped`), launched first on scale-out. */
  warm?: {
    config: { MinSize: number; MaxGroupPreparedCapacity?: number; PoolState: string };
    instances: FakeInstance[];
  };
  /** The next launches fail with this code (InsufficientInstanceCapacity, SpotMaxPriceTooLow, …). */
  shortage?: string;
  /** The group's tags (CreateOrUpdateTags), by key. */
  tags?: Map<string, { Value: string; PropagateAtLaunch: boolean }>;
  activities: Record<string, unknown>[];
  /** The group's zones (default us-east-1a). */
  zones?: string[];
}

let nextId = 0;
const newInstanceId = () => `i-${(0x0a000000 + ++nextId).toString(16).padStart(17, '0')}`;

export class Ec2Model {
  groups = new Map<string, FakeGroup>();
  spotPrices: { instanceType: string; availabilityZone: string; spotPrice: string; timestamp: Date }[] = [];
  /** The region's zones, as DescribeAvailabilityZones names them (ids differ by account). */
  zones = [
    { ZoneName: 'us-east-1a', ZoneId: 'use1-az4' },
    { ZoneName: 'us-east-1b', ZoneId: 'use1-az6' },
    { ZoneName: 'us-east-1c', ZoneId: 'use1-az1' },
  ];
  /** Spot placement scores by zone id (GetSpotPlacementScores with SingleAvailabilityZone), whatever the types. */
  placementScores = new Map<string, number>();
  /** Metric values by `Namespace/MetricName`, newest last, as [epoch seconds, value]. */
  metrics = new Map<string, [number, number][]>();
  alarms = new Map<
    string,
    {
      StateValue: string;
      StateUpdatedTimestamp: number;
      Threshold: number;
      /** CloudWatch's JSON with `recentDatapoints` and `threshold`, as DescribeAlarms returns it. */
      StateReasonData?: string;
    }
  >();
  events: Record<string, unknown>[] = [];

  addGroup(name: string, instanceType: string, count: number, options: { min?: number; max?: number } = {}): FakeGroup {
    const group: FakeGroup = {
      name,
      instanceType,
      min: options.min ?? 0,
      max: options.max ?? 20,
      desired: count,
      instances: [],
      activities: [],
    };
    for (let i = 0; i < count; i++) group.instances.push(this.instance(group, 'InService'));
    this.groups.set(name, group);
    return group;
  }

  advance(): void {
    for (const group of this.groups.values()) {
      for (const instance of group.instances)
        if (instance.LifecycleState === 'Pending') instance.LifecycleState = 'InService';
    }
  }

  private instance(group: FakeGroup, state: string): FakeInstance {
    return {
      InstanceId: newInstanceId(),
      InstanceType: group.instanceType,
      AvailabilityZone: 'us-east-1a',
      LifecycleState: state,
      HealthStatus: 'Healthy',
      ProtectedFromScaleIn: false,
    };
  }

  private group(name: unknown): FakeGroup {
    const group = this.groups.get(String(name));
    if (!group) throw new AwsWireError('ValidationError', 'AutoScalingGroup name not found - null');
    return group;
  }

  /** Bring the group to its desired count: from the warm pool first, then new instances, unless short. */
  private converge(group: FakeGroup): void {
    const live = group.instances.filter((i) => !i.LifecycleState.startsWith('Terminating'));
    let missing = group.desired - live.length;
    while (missing > 0 && group.warm && group.warm.instances.length > 0) {
      const warm = group.warm.instances.shift() as FakeInstance;
      group.instances.push({ ...warm, LifecycleState: 'Pending' });
      missing--;
    }
    if (missing > 0 && group.shortage) {
      group.activities.unshift({
        ActivityId: `act-${group.activities.length + 1}`,
        AutoScalingGroupName: group.name,
        Description: `Launching a new EC2 instance.  Status Reason: ${group.shortage}`,
        Cause: `At ${new Date().toISOString()} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${live.length} to ${group.desired}.`,
        StartTime: new Date(),
        EndTime: new Date(),
        StatusCode: 'Failed',
        StatusMessage: `Could not launch Spot Instances. ${group.shortage} - There is no Spot capacity available that matches your request. Launching EC2 instance failed.`,
        Progress: 100,
      });
      return;
    }
    for (; missing > 0; missing--) group.instances.push(this.instance(group, 'Pending'));
    for (; missing < 0; missing++) group.instances.pop();
  }

  handleAutoScaling = (action: string, p: Record<string, unknown>): unknown => {
    switch (action) {
      case 'DescribeAutoScalingGroups': {
        const names = queryList(p, 'AutoScalingGroupNames');
        return {
          AutoScalingGroups: names.flatMap((name) => {
            const group = this.groups.get(name);
            if (!group) return [];
            return [
              {
                AutoScalingGroupName: group.name,
                AutoScalingGroupARN: `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0000:autoScalingGroupName/${group.name}`,
                MinSize: group.min,
                MaxSize: group.max,
                DesiredCapacity: group.desired,
                DefaultCooldown: 300,
                AvailabilityZones: group.zones ?? ['us-east-1a'],
                HealthCheckType: 'EC2',
                CreatedTime: new Date(1700000000000),
                Instances: group.instances,
                Tags: [...(group.tags ?? new Map())].map(([Key, tag]) => ({
                  ResourceId: group.name,
                  ResourceType: 'auto-scaling-group',
                  Key,
                  ...tag,
                })),
                ...(group.warm
                  ? { WarmPoolConfiguration: group.warm.config, WarmPoolSize: group.warm.instances.length }
                  : {}),
              },
            ];
          }),
        };
      }
      case 'SetDesiredCapacity': {
        const group = this.group(p.AutoScalingGroupName);
        const desired = Number(p.DesiredCapacity);
        if (desired > group.max)
          throw new AwsWireError(
            'ValidationError',
            `New SetDesiredCapacity value ${desired} is above max value ${group.max} for the AutoScalingGroup.`,
          );
        if (desired < group.min)
          throw new AwsWireError(
            'ValidationError',
            `New SetDesiredCapacity value ${desired} is below min value ${group.min} for the AutoScalingGroup.`,
          );
        group.desired = desired;
        this.converge(group);
        return {};
      }
      case 'TerminateInstanceInAutoScalingGroup': {
        const id = String(p.InstanceId);
        const group = [...this.groups.values()].find((g) => g.instances.some((i) => i.InstanceId === id));
        if (!group)
          throw new AwsWireError(
            'ValidationError',
            `Instance Id not found - No managed instance found for instance ID: ${id}`,
          );
        group.instances = group.instances.filter((i) => i.InstanceId !== id);
        if (p.ShouldDecrementDesiredCapacity === 'true') group.desired -= 1;
        else this.converge(group);
        return {
          Activity: {
            ActivityId: `act-term-${id}`,
            AutoScalingGroupName: group.name,
            StatusCode: 'InProgress',
            StartTime: new Date(),
            Cause: 'terminated',
            Progress: 0,
          },
        };
      }
      case 'CreateOrUpdateTags': {
        for (let i = 1; p[`Tags.member.${i}.Key`] !== undefined; i++) {
          const at = (field: string) => p[`Tags.member.${i}.${field}`];
          const group = this.group(at('ResourceId'));
          if (at('ResourceType') !== 'auto-scaling-group')
            throw new AwsWireError('ValidationError', `ResourceType ${String(at('ResourceType'))} is not supported`);
          const value = String(at('Value') ?? '');
          if (value.length > 256) throw new AwsWireError('ValidationError', 'Tag value exceeds 256 characters');
          group.tags ??= new Map();
          group.tags.set(String(at('Key')), { Value: value, PropagateAtLaunch: at('PropagateAtLaunch') === 'true' });
        }
        return {};
      }
      case 'DescribeScalingActivities': {
        const group = this.group(p.AutoScalingGroupName);
        return { Activities: group.activities.slice(0, Number(p.MaxRecords ?? 100)) };
      }
      case 'PutWarmPool': {
        const group = this.group(p.AutoScalingGroupName);
        const config = {
          MinSize: Number(p.MinSize ?? 0),
          ...(p.MaxGroupPreparedCapacity === undefined
            ? {}
            : { MaxGroupPreparedCapacity: Number(p.MaxGroupPreparedCapacity) }),
          PoolState: String(p.PoolState ?? 'Stopped'),
        };
        group.warm ??= { config, instances: [] };
        group.warm.config = config;
        while (group.warm.instances.length < config.MinSize)
          group.warm.instances.push(this.instance(group, 'Warmed:Stopped'));
        return {};
      }
      case 'DescribeWarmPool': {
        const group = this.group(p.AutoScalingGroupName);
        return group.warm
          ? { WarmPoolConfiguration: group.warm.config, Instances: group.warm.instances }
          : { Instances: [] };
      }
      default:
        throw new AwsWireError('InvalidAction', `the fake does not serve Auto Scaling ${action}`);
    }
  };

  handleEc2 = (action: string, p: Record<string, unknown>): unknown => {
    if (action === 'DescribeAvailabilityZones')
      return {
        availabilityZoneInfo: this.zones.map((z) => ({
          zoneName: z.ZoneName,
          zoneId: z.ZoneId,
          regionName: 'us-east-1',
          zoneState: 'available',
        })),
      };
    if (action === 'GetSpotPlacementScores') {
      if (queryList(p, 'InstanceType').length === 0 || !p.TargetCapacity)
        throw new AwsWireError('InvalidParameterValue', 'InstanceTypes and TargetCapacity are required', 400);
      return {
        spotPlacementScoreSet: [...this.placementScores].map(([zoneId, score]) => ({
          region: 'us-east-1',
          availabilityZoneId: zoneId,
          score,
        })),
        nextToken: '',
      };
    }
    if (action !== 'DescribeSpotPriceHistory')
      throw new AwsWireError('InvalidAction', `the fake does not serve EC2 ${action}`);
    const types = queryList(p, 'InstanceType');
    return {
      spotPriceHistorySet: this.spotPrices
        .filter((price) => types.length === 0 || types.includes(price.instanceType))
        .map((price) => ({ ...price, productDescription: 'Linux/UNIX' })),
      nextToken: '',
    };
  };

  handleCloudWatch = (action: string, p: Record<string, unknown>): unknown => {
    if (action === 'DescribeAlarms') {
      const names = (p.AlarmNames as string[] | undefined) ?? [...this.alarms.keys()];
      return {
        MetricAlarms: names.flatMap((name) => {
          const alarm = this.alarms.get(name);
          return alarm ? [{ AlarmName: name, ...alarm, ComparisonOperator: 'GreaterThanThreshold' }] : [];
        }),
      };
    }
    if (action !== 'GetMetricData')
      throw new AwsWireError('InvalidAction', `the fake does not serve CloudWatch ${action}`);
    const queries = p.MetricDataQueries as {
      Id: string;
      MetricStat: { Metric: { Namespace: string; MetricName: string } };
    }[];
    if (queries.length > 500)
      throw new AwsWireError(
        'ValidationError',
        'The collection MetricDataQueries must not have a size greater than 500.',
      );
    return {
      MetricDataResults: queries.map((query) => {
        const series =
          this.metrics.get(`${query.MetricStat.Metric.Namespace}/${query.MetricStat.Metric.MetricName}`) ?? [];
        // Newest first, as GetMetricData's default ScanBy (TimestampDescending).
        const ordered = [...series].reverse();
        return {
          Id: query.Id,
          Label: query.MetricStat.Metric.MetricName,
          Timestamps: ordered.map(([t]) => t),
          Values: ordered.map(([, v]) => v),
          StatusCode: 'Complete',
        };
      }),
    };
  };

  handleEventBridge = (action: string, p: Record<string, unknown>): unknown => {
    if (action !== 'PutEvents')
      throw new AwsWireError('UnknownOperationException', `the fake does not serve AWSEvents.${action}`);
    const entries = p.Entries as Record<string, unknown>[];
    this.events.push(...entries);
    return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `ev-${this.events.length + i}` })) };
  };
}
