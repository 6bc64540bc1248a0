import type { CapacityType, ObservedCapacity } from '../../core/schema/target.ts';
import {
  InsufficientCapacityError,
  NodeNotFoundError,
  PoolNotFoundError,
  ResourceBusyError,
  type ActuatorPort,
  type ChangeInstanceTypeRequest,
  type CheckpointRequest,
  type DrainAndReleaseRequest,
  type LaunchCapacityRequest,
  type SetCapacityRequest,
} from '../ports/actuator.ts';
import { instancePricing } from './prices.ts';
import { createRandom, type Random } from './random.ts';
import { spotMarketFor, type SpotMarket, type SpotMarketOptions } from './spot-market.ts';

/**
 * Boot delay of a GPU instance added to a SageMaker endpoint: 525 s (AWS's 2026 announcement, Qwen3-8B on
 * ml.g6.2xlarge; 258 s with container caching). Used for every type not named in `bootSeconds`.
 */
export const DEFAULT_BOOT_SECONDS = 525;

/** How boot delays spread around their median (see {@link SimulatedCloudOptions.bootSpread}). */
export interface BootSpread {
  /** Sigma of the log-normal (of the underlying normal). */
  sigma: number;
  /** Shortest boot as a share of the median. */
  minRatio: number;
  /** Longest boot as a multiple of the median. */
  maxRatio: number;
}

/**
 * The simulator's default spread: sigma 0.2 around the 525-s median (5th-95th percentile about 377-731 s),
 * clipped to [0.49, 2] × the median ([258, 1,050] s at 525). The floor is AWS's own figure with container
 * caching, 258 s of 525 (nothing boots faster than a cached container); the ceiling is twice the median. AWS publishes one figure, not a distribution:
 * the log-normal shape (boots are sums of many positive delays: capacity, image pull, model load) and its
 * sigma are our assumption, stated as such in docs/simulator.md.
 */
export const DEFAULT_BOOT_SPREAD: BootSpread = { sigma: 0.2, minRatio: 258 / 525, maxRatio: 2 };

/** One pool of the simulated target. */
export interface SimulatedPoolSpec {
  id: string;
  instanceType: string;
  capacityType: CapacityType;
}

/** How a {@link SimulatedCloud} is set up. */
export interface SimulatedCloudOptions {
  targetId: string;
  pools: SimulatedPoolSpec[];
  /** Epoch ms the cloud's clock starts at. */
  startAt: number;
  /** Seed of the spot market (each spot pool draws from its own stream of it, see `spotMarketFor`). */
  seed: number;
  /** Boot delay per instance type, seconds; `default` for the rest (525 s unless given). */
  bootSeconds?: Record<string, number>;
  /**
   * When given, each launch's boot delay is drawn, not fixed: log-normal with `bootSeconds` as its median
   * and this spread, whole seconds, clipped to [minRatio, maxRatio] × the median; each pool draws from its own seeded stream
   * (`boot:<poolId>`), in launch order. See {@link DEFAULT_BOOT_SPREAD}.
   */
  bootSpread?: BootSpread;
  spotMarket?: SpotMarketOptions;
  /** Ready nodes per pool at the start (already booted, billed from `startAt`). */
  initial?: Record<string, number>;
  /** Seconds between retries of a pool that is short of its desired count (EC2 Auto Scaling: about 60). */
  retrySeconds?: number;
  /**
   * Whether a reclaimed spot node is replaced in its pool (an Auto Scaling group keeps its desired count:
   * true, the default) or leaves the pool's desired count one lower (an EC2 Fleet of type `request`, where
   * the autoscaler replaces it itself, as Tide's spot strategy does).
   */
  replaceReclaimed?: boolean;
  /**
   * Whether a pool short of its desired count (a launch that found no capacity) keeps trying every
   * `retrySeconds` (an Auto Scaling group: true, the default), or drops what it could not launch, so its
   * desired count is what it has (an EC2 Fleet of type `instant`; the autoscaler decides what to do next).
   */
  retryShortPools?: boolean;
  /**
   * SageMaker's rule: while a resize it accepted is in progress (a node it launched still boots) the endpoint
   * is `Updating`, and `UpdateEndpointWeightsAndCapacities` (or `UpdateEndpoint`) is refused until it is
   * `InService` again. When true, a change of any pool's desired count (or instance type) while a node boots
   * throws a `ResourceBusyError`, for every caller alike; asking for the count already asked for is a no-op,
   * as SageMaker accepts a redelivery toward the same count. A scale-in's own `Updating` time is not modelled
   * (AWS publishes no figure for it): the endpoint is `InService` again once nothing boots. Off by default
   * (an Auto Scaling group accepts a new desired count while instances boot).
   */
  refuseWhileUpdating?: boolean;
}

/** What happened inside the cloud while its clock advanced. */
export type CloudEvent =
  | { kind: 'spot-notice'; at: number; poolId: string; instanceId: string; instanceType: string; deadlineAt: number }
  | { kind: 'interrupted'; at: number; poolId: string; instanceId: string }
  | {
      kind: 'capacity-error';
      at: number;
      poolId: string;
      instanceType: string;
      capacityType: CapacityType;
      code: string;
    };

interface SimNode {
  id: string;
  instanceType: string;
  launchedAt: number;
  readyAt: number;
  /** Set when a spot notice was given: the node goes at this time. */
  reclaimAt: number | null;
  /** Scale-in protection (an Auto Scaling group's `ProtectedFromScaleIn`): lowering the count skips it. */
  protected: boolean;
}

interface SimPool extends SimulatedPoolSpec {
  desired: number;
  nodes: SimNode[];
  market: SpotMarket | null;
  nextRetryAt: number;
  /** Nodes of an old type waiting for `rollingCount` new ones to be ready (change of instance type). */
  retiring: SimNode[];
  /** With a boot spread: the pool's stream of boot delays and the draws made ahead of launches (peeked). */
  boots: { random: Random; ahead: number[] } | null;
}

/**
 * An in-memory cloud behind the actuator port: per-type boot delays, per-second billing of every node from
 * launch (booting costs money) to release, spot outages from the calibrated seeded market
 * (./spot-market.ts) with a notice `noticeSeconds` before each outage and the pool's spot nodes reclaimed
 * when it starts, and `InsufficientCapacityError` while a spot pool is out. Like an Auto Scaling group or a
 * SageMaker variant it keeps each pool at its desired count, replacing reclaimed nodes when it can (see
 * `replaceReclaimed` and `retryShortPools` for an EC2 Fleet's behaviour instead).
 * The clock only moves through {@link SimulatedCloud.advanceTo}; every other call acts at that time.
 * Drivers that jump from event to event (the spot bench) ask {@link SimulatedCloud.nextEventAt}.
 */
export class SimulatedCloud implements ActuatorPort {
  private now: number;
  private readonly pools = new Map<string, SimPool>();
  private nextNodeNumber = 1;
  private closedCostUsd = 0;
  private closedGpuSeconds = 0;
  private readonly closedNodeHours: Record<CapacityType, number> = { spot: 0, 'on-demand': 0 };
  /** Events raised outside `advanceTo` (a notice for a node launched inside a notice window), reported by the next one. */
  private readonly raised: CloudEvent[] = [];
  /** Outages starting before this time have been noticed (the market is looked at `noticeSeconds` ahead). */
  private noticedUntil: number;
  /** Checkpoint requests received (the simulator has no training jobs; recorded for inspection). */
  readonly checkpoints: CheckpointRequest[] = [];

  constructor(private readonly options: SimulatedCloudOptions) {
    this.now = options.startAt;
    this.noticedUntil = options.startAt;
    for (const spec of options.pools) {
      const market =
        spec.capacityType === 'spot' ? spotMarketFor(options.seed, spec.id, options.startAt, options.spotMarket) : null;
      const boots = options.bootSpread
        ? { random: createRandom(options.seed).fork(`boot:${spec.id}`), ahead: [] }
        : null;
      const pool: SimPool = { ...spec, desired: 0, nodes: [], market, nextRetryAt: 0, retiring: [], boots };
      this.pools.set(spec.id, pool);
      const count = options.initial?.[spec.id] ?? 0;
      for (let i = 0; i < count; i++) pool.nodes.push(this.newNode(pool.instanceType, this.now, 0));
      pool.desired = count;
    }
  }

  /** The cloud's clock, epoch ms. */
  get clock(): number {
    return this.now;
  }

  /**
   * Move the clock to `at`: nodes finish booting, spot notices (`noticeSeconds` before an outage) and
   * reclaims (when it starts) happen, short pools retry.
   */
  advanceTo(at: number): CloudEvent[] {
    if (at < this.now) throw new Error(`the simulated clock cannot go back: ${at} < ${this.now}`);
    this.now = at;
    const events: CloudEvent[] = this.raised.splice(0);
    const noticeFrom = this.noticedUntil;
    for (const pool of this.pools.values()) {
      if (pool.market) {
        const notice = pool.market.options.noticeSeconds * 1000;
        // Outages starting up to `at + notice` inclusive (integer ms): their notice time has come.
        this.noticedUntil = Math.max(this.noticedUntil, at + notice + 1);
        for (const outage of pool.market.outagesStartingIn(noticeFrom, at + notice + 1)) {
          for (const node of pool.nodes) {
            if (node.reclaimAt !== null) continue;
            node.reclaimAt = outage.start;
            events.push({
              kind: 'spot-notice',
              at: Math.max(this.options.startAt, outage.start - notice),
              poolId: pool.id,
              instanceId: node.id,
              instanceType: node.instanceType,
              deadlineAt: outage.start,
            });
          }
        }
      }
      for (const node of pool.nodes.filter((candidate) => candidate.reclaimAt !== null && candidate.reclaimAt <= at)) {
        this.close(pool, node, node.reclaimAt ?? at);
        if (this.options.replaceReclaimed === false) pool.desired = Math.max(0, pool.desired - 1);
        events.push({ kind: 'interrupted', at: node.reclaimAt ?? at, poolId: pool.id, instanceId: node.id });
      }
      if (pool.retiring.length > 0) {
        const readyNew = pool.nodes.filter((node) => node.readyAt <= at).length;
        if (readyNew >= pool.desired)
          for (const node of pool.retiring.splice(0)) this.billClosed(node, at, pool.capacityType);
      }
      if (pool.nodes.length < pool.desired && at >= pool.nextRetryAt && this.options.retryShortPools !== false)
        this.reconcile(pool, events);
    }
    return events;
  }

  /**
   * The next time something happens inside the cloud on its own (a notice, a reclaim, a node ready, a
   * retry), for drivers that jump from event to event; `advanceTo` it to see what. Never later than
   * `horizon`.
   */
  nextEventAt(horizon: number): number {
    if (this.raised.length > 0) return this.now;
    let next = horizon;
    for (const pool of this.pools.values()) {
      if (pool.market && pool.nodes.some((node) => node.reclaimAt === null)) {
        const notice = pool.market.options.noticeSeconds * 1000;
        const [outage] = pool.market.outagesStartingIn(this.noticedUntil, Math.max(this.noticedUntil, next + notice));
        if (outage) next = Math.min(next, Math.max(this.now, outage.start - notice));
      }
      for (const node of pool.nodes) {
        if (node.reclaimAt !== null) next = Math.min(next, node.reclaimAt);
        if (node.readyAt > this.now) next = Math.min(next, node.readyAt);
      }
      if (pool.nodes.length < pool.desired && this.options.retryShortPools !== false)
        next = Math.min(next, Math.max(this.now, pool.nextRetryAt));
    }
    return Math.max(this.now, next);
  }

  /**
   * Boot delay, seconds, of the `k`-th next launch in a pool (0: the next one): fixed, or drawn ahead from
   * the pool's stream with a boot spread. Only a clairvoyant driver (the simulator's hindsight oracle) asks.
   */
  peekBootSeconds(poolId: string, k = 0): number {
    const pool = this.pool(poolId);
    const median =
      this.options.bootSeconds?.[pool.instanceType] ?? this.options.bootSeconds?.default ?? DEFAULT_BOOT_SECONDS;
    const spread = this.options.bootSpread;
    if (!pool.boots || !spread) return median;
    while (pool.boots.ahead.length <= k) {
      const drawn = Math.round(pool.boots.random.logNormal(median, spread.sigma));
      const clipped = Math.min(median * spread.maxRatio, Math.max(median * spread.minRatio, drawn));
      pool.boots.ahead.push(Math.round(clipped));
    }
    return pool.boots.ahead[k]!;
  }

  /** Whether a node is in the cloud (launched, not released nor reclaimed). */
  hasNode(instanceId: string): boolean {
    for (const pool of this.pools.values()) if (pool.nodes.some((node) => node.id === instanceId)) return true;
    return false;
  }

  /** Turn scale-in protection of a node on or off (what a job scheduler does while a node runs a job). */
  protect(instanceId: string, on: boolean): void {
    for (const pool of this.pools.values())
      for (const node of pool.nodes) if (node.id === instanceId) node.protected = on;
  }

  /** Node-hours billed so far, of one capacity type. */
  nodeHours(capacityType: CapacityType): number {
    let hours = this.closedNodeHours[capacityType];
    for (const node of this.liveNodes())
      if (node.capacityType === capacityType) hours += (this.now - node.launchedAt) / 3_600_000;
    return hours;
  }

  /** Ready (serving) nodes in every pool, with their instance types. */
  readyNodes(): Array<{ poolId: string; instanceType: string }> {
    const ready: Array<{ poolId: string; instanceType: string }> = [];
    for (const pool of this.pools.values()) {
      for (const node of [...pool.nodes, ...pool.retiring]) {
        if (node.readyAt <= this.now && (node.reclaimAt === null || node.reclaimAt > this.now)) {
          ready.push({ poolId: pool.id, instanceType: node.instanceType });
        }
      }
    }
    return ready;
  }

  /** Desired count summed over pools. */
  totalDesired(): number {
    let total = 0;
    for (const pool of this.pools.values()) total += pool.desired;
    return total;
  }

  /** Dollars billed so far: every node, per second, from launch to release (or now). */
  costUsd(): number {
    let cost = this.closedCostUsd;
    for (const node of this.liveNodes()) cost += this.nodeCost(node, this.now);
    return cost;
  }

  /** GPU-seconds provisioned so far (booting included). */
  gpuSeconds(): number {
    let total = this.closedGpuSeconds;
    for (const node of this.liveNodes()) total += ((this.now - node.launchedAt) / 1000) * this.pricing(node).gpus;
    return total;
  }

  /** Resizes refused because the endpoint was `Updating` (see {@link SimulatedCloudOptions.refuseWhileUpdating}). */
  refusedResizes = 0;

  /** Whether a node launched by an accepted resize still boots: the endpoint is `Updating`. */
  updating(): boolean {
    for (const pool of this.pools.values())
      for (const node of pool.nodes) if (node.readyAt > this.now && node.reclaimAt === null) return true;
    return false;
  }

  /** With `refuseWhileUpdating`: refuse a change while the endpoint is `Updating`, as SageMaker does. */
  private refuseIfUpdating(pool: SimPool, desired: number, instanceType = pool.instanceType): void {
    if (!this.options.refuseWhileUpdating) return;
    if (desired === pool.desired && instanceType === pool.instanceType) return;
    if (!this.updating()) return;
    this.refusedResizes++;
    throw new ResourceBusyError(`endpoint/${this.options.targetId}`, 'Updating');
  }

  /** Set a pool's desired count without the port's promise (the simulator's baselines call this). */
  setDesired(poolId: string, desired: number): void {
    const pool = this.pool(poolId);
    this.refuseIfUpdating(pool, Math.max(0, Math.floor(desired)));
    pool.desired = Math.max(0, Math.floor(desired));
    const events: CloudEvent[] = [];
    this.reconcile(pool, events);
    // A fleet keeps what it has: protected nodes it could not release, no retry of what it could not launch.
    if (this.options.retryShortPools === false) pool.desired = pool.nodes.length;
    // A failed launch is reported once, by the exception to the caller; later retries emit events.
    const failure = events.find((event) => event.kind === 'capacity-error');
    if (failure && failure.kind === 'capacity-error') {
      throw new InsufficientCapacityError(
        pool.id,
        pool.instanceType,
        pool.capacityType,
        failure.code,
        pool.nodes.length,
      );
    }
  }

  async readCapacity(_targetId: string): Promise<ObservedCapacity> {
    return {
      observedAt: this.now,
      pools: [...this.pools.values()].map((pool) => {
        const live = pool.nodes.filter((node) => node.reclaimAt === null || node.reclaimAt > this.now);
        const ready = live.filter((node) => node.readyAt <= this.now).length;
        return {
          poolId: pool.id,
          instanceType: pool.instanceType,
          capacityType: pool.capacityType,
          desired: pool.desired,
          ready,
          pending: live.length - ready,
          nodes: live.map((node) => ({
            id: node.id,
            state: node.readyAt <= this.now ? ('ready' as const) : ('pending' as const),
            launchedAt: node.launchedAt,
          })),
        };
      }),
    };
  }

  async setCapacity(request: SetCapacityRequest): Promise<void> {
    this.setDesired(request.poolId, request.desired);
  }

  async changeInstanceType(request: ChangeInstanceTypeRequest): Promise<void> {
    const pool = this.pool(request.poolId);
    this.refuseIfUpdating(pool, request.count, request.toInstanceType);
    pool.retiring.push(...pool.nodes.splice(0));
    pool.instanceType = request.toInstanceType;
    this.setDesired(pool.id, request.count);
  }

  async launchCapacity(request: LaunchCapacityRequest): Promise<string[]> {
    const pool = this.pool(request.poolId);
    const before = new Set(pool.nodes.map((node) => node.id));
    this.setDesired(pool.id, pool.desired + request.count);
    return pool.nodes.filter((node) => !before.has(node.id)).map((node) => node.id);
  }

  async drainAndRelease(request: DrainAndReleaseRequest): Promise<void> {
    this.releaseNode(request.poolId, request.instanceId);
  }

  /** Release one node now, the pool's desired count one lower, without the port's promise (the simulator's oracle calls this). */
  releaseNode(poolId: string, instanceId: string): void {
    const pool = this.pool(poolId);
    const node = pool.nodes.find((candidate) => candidate.id === instanceId);
    if (!node) throw new NodeNotFoundError(pool.id, instanceId);
    this.close(pool, node, this.now);
    pool.desired = Math.max(0, pool.desired - 1);
  }

  async requestCheckpoint(request: CheckpointRequest): Promise<void> {
    this.checkpoints.push(request);
  }

  private reconcile(pool: SimPool, events: CloudEvent[]): void {
    // Scale in: release booting nodes first (they serve nothing yet), newest first, then the newest ready;
    // never a protected node.
    while (pool.nodes.length > pool.desired) {
      const byPreference = pool.nodes
        .filter((node) => !node.protected)
        .sort((a, b) => {
          const aPending = a.readyAt > this.now ? 1 : 0;
          const bPending = b.readyAt > this.now ? 1 : 0;
          return bPending - aPending || b.launchedAt - a.launchedAt;
        });
      if (byPreference.length === 0) break;
      this.close(pool, byPreference[0]!, this.now);
    }
    const missing = pool.desired - pool.nodes.length;
    if (missing <= 0) return;
    if (pool.market?.isOut(this.now)) {
      pool.nextRetryAt = this.now + (this.options.retrySeconds ?? 60) * 1000;
      events.push({
        kind: 'capacity-error',
        at: this.now,
        poolId: pool.id,
        instanceType: pool.instanceType,
        capacityType: pool.capacityType,
        code: 'InsufficientInstanceCapacity',
      });
      return;
    }
    // Launched inside the notice window of a coming outage: the provider warns this node too, with what is left.
    const coming = pool.market?.outagesStartingIn(this.now + 1, this.noticedUntil)[0];
    for (let i = 0; i < missing; i++) {
      const node = this.newNode(pool.instanceType, this.now, this.peekBootSeconds(pool.id, 0));
      pool.boots?.ahead.shift();
      pool.nodes.push(node);
      if (coming) {
        node.reclaimAt = coming.start;
        this.raised.push({
          kind: 'spot-notice',
          at: this.now,
          poolId: pool.id,
          instanceId: node.id,
          instanceType: node.instanceType,
          deadlineAt: coming.start,
        });
      }
    }
  }

  private newNode(instanceType: string, at: number, bootSeconds: number): SimNode {
    return {
      id: `i-${String(this.nextNodeNumber++).padStart(6, '0')}`,
      instanceType,
      launchedAt: at,
      readyAt: at + bootSeconds * 1000,
      reclaimAt: null,
      protected: false,
    };
  }

  private close(pool: SimPool, node: SimNode, at: number): void {
    pool.nodes.splice(pool.nodes.indexOf(node), 1);
    this.billClosed(node, at, pool.capacityType);
  }

  private billClosed(node: SimNode, at: number, capacityType?: CapacityType): void {
    const pricing = instancePricing(node.instanceType, capacityType ?? 'on-demand');
    this.closedCostUsd += ((at - node.launchedAt) / 3_600_000) * pricing.usdPerHour;
    this.closedNodeHours[capacityType ?? 'on-demand'] += (at - node.launchedAt) / 3_600_000;
    this.closedGpuSeconds += ((at - node.launchedAt) / 1000) * pricing.gpus;
  }

  private *liveNodes(): Generator<SimNode & { capacityType: CapacityType }> {
    for (const pool of this.pools.values()) {
      for (const node of pool.nodes) yield { ...node, capacityType: pool.capacityType };
      for (const node of pool.retiring) yield { ...node, capacityType: pool.capacityType };
    }
  }

  private pricing(node: { instanceType: string; capacityType: CapacityType }) {
    return instancePricing(node.instanceType, node.capacityType);
  }

  private nodeCost(node: SimNode & { capacityType: CapacityType }, at: number): number {
    return ((at - node.launchedAt) / 3_600_000) * this.pricing(node).usdPerHour;
  }

  private pool(poolId: string): SimPool {
    const pool = this.pools.get(poolId);
    if (!pool) throw new PoolNotFoundError(poolId);
    return pool;
  }
}
