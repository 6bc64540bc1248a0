/**
 * GPU node pools on EC2 Auto Scaling: one group per Tide pool (spot, on-demand, or a mixed instances
 * group). Counts are absolute (`SetDesiredCapacity`, `HonorCooldown=false`: Tide keeps its own cooldowns),
 * so acting twice changes a group once. A launch the group cannot fulfil does not fail the call: EC2 Auto
 * Scaling reports it later as a failed scaling activity. {@link AutoScalingGroupsActuator.capacityErrors}
 * reads those activities and turns them into `capacity-error` signals, so spot replacement picks another pool.
 */
import { createHash } from 'node:crypto';
import type { CapacityError } from '../../core/schema/signal.ts';
import type { WarmPool } from '../../core/schema/policy.ts';
import type { CapacityPool, ObservedCapacity, ObservedNode, Target } from '../../core/schema/target.ts';
import {
  InsufficientCapacityError,
  NodeNotFoundError,
  PoolNotFoundError,
  type ActuatorPort,
  type ChangeInstanceTypeRequest,
  type CheckpointRequest,
  type DrainAndReleaseRequest,
  type LaunchCapacityRequest,
  type SetCapacityRequest,
  ProviderRejectedError,
} from '../ports/actuator.ts';
import type { AwsCaller } from './calls.ts';
import type { AwsClients, AwsScope } from './clients.ts';
import type { PlacementScoreCache, PlacementScores } from './placement-scores.ts';
import type { SpotPriceCache } from './spot-prices.ts';
import { DEFAULT_SHARED_READ_MAX_AGE_MS, SharedReads } from '../shared-reads.ts';

/** Codes in a failed activity's status message that mean "no capacity here", not "misconfigured". */
export const CAPACITY_ERROR_CODES = [
  'InsufficientInstanceCapacity',
  'SpotMaxPriceTooLow',
  'MaxSpotInstanceCountExceeded',
  'UnfulfillableCapacity',
  'InsufficientCapacityOnHost',
  'SpotCapacityNotAvailable',
] as const;
const CAPACITY_ERROR = new RegExp(`\\b(${CAPACITY_ERROR_CODES.join('|')})\\b`);

export interface AutoScalingGroupsDeps {
  target: Target;
  /** Pool id → group name or ARN. */
  groups: Record<string, string>;
  scope: AwsScope;
  clients: AwsClients;
  caller: AwsCaller;
  sendCheckpoint: (request: CheckpointRequest) => Promise<void>;
  now: () => number;
  /** Live spot prices for the spot pools' observations (DescribeSpotPriceHistory, cached); without it the catalog prices them. */
  spotPrices?: SpotPriceCache;
  /** Spot placement scores for the spot pools' observations (GetSpotPlacementScores, cached); without it pools rank by price. */
  placementScores?: PlacementScoreCache;
  /**
   * How long a steady read of the groups answers `readCapacity` without another DescribeAutoScalingGroups, ms
   * (default 1 s; 0 reads every time), as a SageMaker endpoint's does. See {@link AutoScalingGroupsActuator.readCapacity}.
   */
  steadyObservationMs?: number;
  /** The process's shared reads (../shared-reads.ts; default: this actuator's own). */
  reads?: SharedReads;
}

/**
 * Groups at rest: each one found, its instances all InService and as many as it desires (no launch, no
 * termination, no standby in progress). Only such a read is shared: one that shows a change under way is read
 * again, so later decisions see its progress.
 */
function steadyGroups(found: Map<string, GroupDescription>, names: string[]): boolean {
  return names.every((name) => {
    const group = found.get(name);
    const instances = group?.Instances ?? [];
    return (
      group !== undefined &&
      instances.length === (group.DesiredCapacity ?? 0) &&
      instances.every((instance) => instance.LifecycleState === 'InService')
    );
  });
}

interface GroupDescription {
  DesiredCapacity?: number;
  Instances?: { LifecycleState?: string }[];
}

/**
 * The group tag that makes a relative launch idempotent: `{"k": <hash of the request's idempotency key>,
 * "b": <desired capacity before the launch>}`. Written before SetDesiredCapacity; a redelivered launch with
 * the same key sets the same absolute count from the recorded base instead of adding `count` again.
 * SetDesiredCapacity takes no client token, so the group itself keeps the record. Not propagated to instances.
 */
export const LAUNCH_TAG = 'tide:launch';

/** The key as it fits in a tag value (256 characters): its SHA-256, 32 hex digits. */
export function launchKeyOf(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
}

/** The base a launch with this key recorded on the group, if the group's launch tag is this key's. */
function recordedBase(tags: { Key?: string; Value?: string }[] | undefined, key: string): number | undefined {
  const value = tags?.find((tag) => tag.Key === LAUNCH_TAG)?.Value;
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as { k?: unknown; b?: unknown };
    return parsed.k === key && Number.isInteger(parsed.b) && (parsed.b as number) >= 0
      ? (parsed.b as number)
      : undefined;
  } catch {
    return undefined; // someone else's value: not ours to trust
  }
}

/** A group ARN ends in `autoScalingGroupName/NAME`; the describe and set calls take the name. */
export function groupName(nameOrArn: string): string {
  const marker = ':autoScalingGroupName/';
  const at = nameOrArn.indexOf(marker);
  return at >= 0 ? nameOrArn.slice(at + marker.length) : nameOrArn;
}

/** The zones a group launches in: its own list, else its instances'. */
function zonesOf(group: { AvailabilityZones?: string[]; Instances?: { AvailabilityZone?: string }[] }): string[] {
  if (group.AvailabilityZones && group.AvailabilityZones.length > 0) return group.AvailabilityZones;
  return [...new Set((group.Instances ?? []).flatMap((i) => (i.AvailabilityZone ? [i.AvailabilityZone] : [])))];
}

function nodeState(lifecycle: string | undefined): ObservedNode['state'] {
  if (lifecycle === 'InService') return 'ready';
  if (lifecycle?.startsWith('Pending')) return 'pending';
  return 'draining'; // Terminating*, Detaching, EnteringStandby, Standby: not serving and on the way out
}

/** A spot pool's live price and its note, for its observation. */
function spotPriceOf(
  pool: CapacityPool,
  instanceType: string,
  prices: Awaited<ReturnType<SpotPriceCache['prices']>> | undefined,
): { spotUsdPerHour?: number; priceNote?: string } {
  const price = pool.capacityType === 'spot' ? prices?.byType.get(instanceType) : undefined;
  if (!price) return {};
  return {
    ...(price.usdPerHour === undefined ? {} : { spotUsdPerHour: price.usdPerHour }),
    priceNote: price.note.slice(0, 400),
  };
}

/**
 * A spot pool's placement score: its zone's (the target names it), or the best of its group's zones (a
 * multi-zone group launches where EC2 finds capacity). Undefined with a note when no zone of it was scored.
 */
function placementOf(
  pool: CapacityPool,
  zones: readonly string[],
  scores: PlacementScores | undefined,
): { placementScore?: number; placementNote?: string } {
  if (pool.capacityType !== 'spot' || !scores) return {};
  const candidates = pool.zone ? [pool.zone] : zones;
  let best: { zone: string; score: number } | undefined;
  for (const zone of candidates) {
    const score = scores.byZone.get(zone);
    if (score !== undefined && (!best || score > best.score)) best = { zone, score };
  }
  if (!best) {
    const why = scores.byZone.size > 0 ? `no score for ${candidates.join(', ') || 'its zones'} from ` : '';
    return { placementNote: `placement score: ${why}${scores.note}`.slice(0, 400) };
  }
  return {
    placementScore: best.score,
    placementNote: `placement score ${best.score}/10 in ${best.zone} from ${scores.note}`.slice(0, 400),
  };
}

export class AutoScalingGroupsActuator implements ActuatorPort {
  /** Reads shared with the process's other deliveries (see {@link readCapacity}). */
  private readonly reads: SharedReads;
  /** The shared-read key of the target's groups (one DescribeAutoScalingGroups reads them all). */
  private readonly readKey: string;

  constructor(private readonly deps: AutoScalingGroupsDeps) {
    this.reads = deps.reads ?? new SharedReads({ now: deps.now });
    const names = deps.target.pools.map((pool) => groupName(deps.groups[pool.id] ?? ''));
    this.readKey = `autoscaling:${deps.scope.region}:${deps.scope.roleArn ?? ''}:${names.join(',')}`;
  }

  /** Run one of Tide's changes to a group: the shared read of the groups is forgotten before and after it. */
  private changing<T>(change: () => Promise<T>): Promise<T> {
    return this.reads.changing(this.readKey, change);
  }

  private pool(poolId: string): { pool: CapacityPool; group: string } {
    const pool = this.deps.target.pools.find((p) => p.id === poolId);
    const group = this.deps.groups[poolId];
    if (!pool || !group)
      throw new PoolNotFoundError(poolId, `target ${this.deps.target.id} names no Auto Scaling group for it`);
    return { pool, group: groupName(group) };
  }

  private async describe(names: string[]) {
    const { sdk, client } = await this.deps.clients.autoScaling(this.deps.scope);
    const input = { AutoScalingGroupNames: names, MaxRecords: 100 };
    const out = await this.deps.caller.call('autoscaling:DescribeAutoScalingGroups', names.join(','), input, () =>
      client.send(new sdk.DescribeAutoScalingGroupsCommand(input)),
    );
    return new Map((out?.AutoScalingGroups ?? []).map((g) => [g.AutoScalingGroupName ?? '', g]));
  }

  /**
   * The shell's observation. Concurrent calls share one DescribeAutoScalingGroups, and a steady read (every
   * group's instances InService and as many as it desires) answers for `steadyObservationMs` (default 1 s)
   * after it was made, its `observedAt` the time of that read, as a SageMaker endpoint's does: an alarm storm
   * over one fleet costs one describe a second, not one per event, against the Auto Scaling API's rate limit.
   * Never reused: groups launching or terminating, a read begun before Tide's own change (each change forgets
   * it), and the reads the write paths make (always fresh). Spot prices and placement scores have their own caches.
   */
  async readCapacity(_targetId?: string): Promise<ObservedCapacity> {
    const pools = this.deps.target.pools.map((pool) => ({ pool, group: groupName(this.deps.groups[pool.id] ?? '') }));
    const names = pools.map((p) => p.group);
    const { observedAt, found } = await this.reads.read(
      this.readKey,
      this.deps.steadyObservationMs ?? DEFAULT_SHARED_READ_MAX_AGE_MS,
      async () => ({ observedAt: this.deps.now(), found: await this.describe(names) }),
      { keep: ({ found }) => steadyGroups(found, names) },
    );
    const typeOf = (pool: CapacityPool) =>
      found.get(groupName(this.deps.groups[pool.id] ?? ''))?.Instances?.[0]?.InstanceType ?? pool.instanceType;
    const spotTypes = pools.filter(({ pool }) => pool.capacityType === 'spot').map(({ pool }) => typeOf(pool));
    // Never fails the observation: a failed read is a note, and the catalog prices the pool.
    const prices =
      this.deps.spotPrices && spotTypes.length > 0
        ? await this.deps.spotPrices.prices(this.deps.scope, spotTypes)
        : undefined;
    // The spot pools' total desired is the capacity asked about (a replacement adds to it, roughly).
    const spotDesired = pools
      .filter(({ pool }) => pool.capacityType === 'spot')
      .reduce((sum, { group }) => sum + (found.get(group)?.DesiredCapacity ?? 0), 0);
    const scores =
      this.deps.placementScores && spotTypes.length > 0
        ? await this.deps.placementScores.scores(this.deps.scope, spotTypes, spotDesired + 1)
        : undefined;
    return {
      observedAt,
      pools: pools.map(({ pool, group }) => {
        const described = found.get(group);
        if (!described)
          throw new PoolNotFoundError(pool.id, `DescribeAutoScalingGroups: no Auto Scaling group "${group}"`);
        const nodes: ObservedNode[] = (described.Instances ?? []).map((instance) => ({
          id: instance.InstanceId ?? '',
          state: nodeState(instance.LifecycleState),
        }));
        const desired = described.DesiredCapacity ?? 0;
        return {
          poolId: pool.id,
          instanceType: described.Instances?.[0]?.InstanceType ?? pool.instanceType,
          capacityType: pool.capacityType,
          desired,
          ready: nodes.filter((n) => n.state === 'ready').length,
          pending: nodes.filter((n) => n.state === 'pending').length,
          nodes,
          ...(described.WarmPoolConfiguration ? { warm: described.WarmPoolSize ?? 0 } : {}),
          ...spotPriceOf(pool, typeOf(pool), prices),
          ...placementOf(pool, zonesOf(described), scores),
        };
      }),
    };
  }

  async setCapacity(request: SetCapacityRequest): Promise<void> {
    await this.setDesired(request.poolId, request.desired);
  }

  /** SetDesiredCapacity, then the group's failed launches since the call as an InsufficientCapacityError. */
  private async setDesired(poolId: string, desired: number): Promise<void> {
    const { pool, group } = this.pool(poolId);
    const startedAt = this.deps.now();
    const { sdk, client } = await this.deps.clients.autoScaling(this.deps.scope);
    const input = { AutoScalingGroupName: group, DesiredCapacity: desired, HonorCooldown: false };
    await this.changing(() =>
      this.deps.caller.call(
        'autoscaling:SetDesiredCapacity',
        `autoScalingGroup/${group}`,
        input,
        () => client.send(new sdk.SetDesiredCapacityCommand(input)),
        (error) =>
          /name not found/i.test(error.message)
            ? new PoolNotFoundError(poolId, `SetDesiredCapacity: no Auto Scaling group "${group}"`, { cause: error })
            : undefined,
      ),
    );
    if (this.deps.caller.mode === 'dry-run') return;
    // A launch the group could not make shows as a failed activity; when EC2 answered at once, say so now.
    const errors = await this.capacityErrorsOf(pool, group, startedAt - 1000);
    const first = errors[0];
    if (first) {
      throw new InsufficientCapacityError(
        poolId,
        first.instanceType ?? pool.instanceType,
        pool.capacityType,
        first.code,
        0,
      );
    }
  }

  /**
   * Add `count` to the group's desired capacity. With an idempotency key the base is recorded on the group
   * first (the {@link LAUNCH_TAG} tag), so a redelivery after a crash sets the same absolute count again
   * rather than launching twice.
   */
  async launchCapacity(request: LaunchCapacityRequest): Promise<string[]> {
    const { group } = this.pool(request.poolId);
    const described = (await this.describe([group])).get(group);
    if (!described)
      throw new PoolNotFoundError(request.poolId, `DescribeAutoScalingGroups: no Auto Scaling group "${group}"`);
    const before = new Set((described.Instances ?? []).map((i) => i.InstanceId));
    let base = described.DesiredCapacity ?? 0;
    if (request.idempotencyKey !== undefined) {
      const key = launchKeyOf(request.idempotencyKey);
      const recorded = recordedBase(described.Tags, key);
      if (recorded !== undefined) base = recorded;
      else await this.recordLaunch(group, key, base);
    }
    await this.setDesired(request.poolId, base + request.count);
    if (this.deps.caller.mode === 'dry-run') return [];
    const after = (await this.describe([group])).get(group);
    return (after?.Instances ?? []).flatMap((i) => (i.InstanceId && !before.has(i.InstanceId) ? [i.InstanceId] : []));
  }

  private async recordLaunch(group: string, key: string, base: number): Promise<void> {
    const { sdk, client } = await this.deps.clients.autoScaling(this.deps.scope);
    const input = {
      Tags: [
        {
          ResourceId: group,
          ResourceType: 'auto-scaling-group',
          Key: LAUNCH_TAG,
          Value: JSON.stringify({ k: key, b: base }),
          PropagateAtLaunch: false,
        },
      ],
    };
    await this.changing(() =>
      this.deps.caller.call('autoscaling:CreateOrUpdateTags', `autoScalingGroup/${group}`, input, () =>
        client.send(new sdk.CreateOrUpdateTagsCommand(input)),
      ),
    );
  }

  async drainAndRelease({ poolId, instanceId }: DrainAndReleaseRequest): Promise<void> {
    this.pool(poolId);
    const { sdk, client } = await this.deps.clients.autoScaling(this.deps.scope);
    const input = { InstanceId: instanceId, ShouldDecrementDesiredCapacity: true };
    await this.changing(() =>
      this.deps.caller.call(
        'autoscaling:TerminateInstanceInAutoScalingGroup',
        `instance/${instanceId}`,
        input,
        () => client.send(new sdk.TerminateInstanceInAutoScalingGroupCommand(input)),
        // Already gone (released by an earlier delivery, or reclaimed): the port's NodeNotFoundError.
        (error) =>
          /Instance Id not found/i.test(error.message) ? new NodeNotFoundError(poolId, instanceId) : undefined,
      ),
    );
  }

  async changeInstanceType(request: ChangeInstanceTypeRequest): Promise<void> {
    // A group's instance type lives in its launch template; Tide moves work between pools (groups) instead.
    throw new ProviderRejectedError(
      'autoscaling:UpdateAutoScalingGroup',
      `autoScalingGroup/${this.pool(request.poolId).group}`,
      'Unsupported',
      `an Auto Scaling group keeps its launch template's type; give ${request.toInstanceType} its own pool and group`,
    );
  }

  requestCheckpoint(request: CheckpointRequest): Promise<void> {
    return this.deps.sendCheckpoint(request);
  }

  /** Size a pool's warm pool (stopped, pre-initialized GPU nodes that join in about a minute rather than ten). */
  async sizeWarmPool(
    poolId: string,
    minSize: number,
    maxPreparedCapacity?: number,
    state: WarmPool['state'] = 'Stopped',
  ): Promise<void> {
    const { group } = this.pool(poolId);
    const { sdk, client } = await this.deps.clients.autoScaling(this.deps.scope);
    const input = {
      AutoScalingGroupName: group,
      MinSize: minSize,
      PoolState: state,
      ...(maxPreparedCapacity === undefined ? {} : { MaxGroupPreparedCapacity: maxPreparedCapacity }),
    };
    await this.changing(() =>
      this.deps.caller.call('autoscaling:PutWarmPool', `autoScalingGroup/${group}`, input, () =>
        client.send(new sdk.PutWarmPoolCommand(input)),
      ),
    );
  }

  /**
   * Put each named pool's warm pool to the policy's size (`policy.warmPools`), with one describe for all and
   * `PutWarmPool` only where the group's warm pool differs. Returns what it changed, and the pool ids the
   * target does not have (named in the policy by mistake).
   */
  async applyWarmPools(
    wanted: Readonly<Record<string, WarmPool>>,
  ): Promise<{ changed: string[]; unchanged: string[]; unknown: string[] }> {
    const result = { changed: [] as string[], unchanged: [] as string[], unknown: [] as string[] };
    const named = Object.keys(wanted).filter((poolId) => {
      const known = this.deps.target.pools.some((p) => p.id === poolId) && this.deps.groups[poolId] !== undefined;
      if (!known) result.unknown.push(poolId);
      return known;
    });
    if (named.length === 0) return result;
    const found = await this.describe(named.map((poolId) => groupName(this.deps.groups[poolId] as string)));
    for (const poolId of named) {
      const want = wanted[poolId] as WarmPool;
      const group = groupName(this.deps.groups[poolId] as string);
      const described = found.get(group);
      if (!described)
        throw new PoolNotFoundError(poolId, `DescribeAutoScalingGroups: no Auto Scaling group "${group}"`);
      const have = described.WarmPoolConfiguration;
      const prepared = (value: number | undefined) => (value === undefined || value < 0 ? -1 : value);
      const same =
        have !== undefined &&
        (have.MinSize ?? 0) === want.minSize &&
        prepared(have.MaxGroupPreparedCapacity) === prepared(want.maxPreparedCapacity) &&
        (have.PoolState ?? 'Stopped') === want.state;
      if (same) {
        result.unchanged.push(poolId);
        continue;
      }
      await this.sizeWarmPool(poolId, want.minSize, want.maxPreparedCapacity, want.state);
      result.changed.push(poolId);
    }
    return result;
  }

  /** Capacity failures of every pool's group since `sinceMs`, as signals (one per failed activity). */
  async capacityErrors(sinceMs: number): Promise<CapacityError[]> {
    const all = await Promise.all(
      this.deps.target.pools.map((pool) =>
        this.capacityErrorsOf(pool, groupName(this.deps.groups[pool.id] ?? ''), sinceMs),
      ),
    );
    return all.flat();
  }

  private async capacityErrorsOf(pool: CapacityPool, group: string, sinceMs: number): Promise<CapacityError[]> {
    const { sdk, client } = await this.deps.clients.autoScaling(this.deps.scope);
    const input = { AutoScalingGroupName: group, MaxRecords: 20 };
    const out = await this.deps.caller.call(
      'autoscaling:DescribeScalingActivities',
      `autoScalingGroup/${group}`,
      input,
      () => client.send(new sdk.DescribeScalingActivitiesCommand(input)),
    );
    return (out?.Activities ?? []).flatMap((activity): CapacityError[] => {
      const at = activity.StartTime?.getTime() ?? 0;
      const text = `${activity.StatusMessage ?? ''} ${activity.Description ?? ''}`;
      const code = CAPACITY_ERROR.exec(text)?.[1];
      if (activity.StatusCode !== 'Failed' || at < sinceMs || !code) return [];
      return [
        {
          kind: 'capacity-error',
          poolId: pool.id,
          instanceType: pool.instanceType,
          capacityType: pool.capacityType,
          ...(pool.zone ? { zone: pool.zone } : {}),
          code,
          message: (activity.StatusMessage ?? '').slice(0, 500),
          observedAt: at,
          source: 'aws-autoscaling',
          eventId: `aws-autoscaling-activity:${activity.ActivityId ?? `${group}:${at}`}`,
        },
      ];
    });
  }
}
