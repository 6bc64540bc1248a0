/**
 * The simulated cloud of `tide serve --cloud simulated`: one {@link SimulatedCloud} per target, made from the
 * target document the first time Tide asks for it, each advanced to the serve clock before it is used. So a
 * newcomer's `tide serve` scales something real enough to watch: GPU nodes take minutes to boot, spot
 * pools get interrupted, and launches can fail for lack of capacity.
 */
import type { Target } from '../../core/schema/target.ts';
import { SimulatedCloud, type CloudEvent } from '../../adapters/fake-cloud/cloud.ts';
import type { Clock } from '../../adapters/ports/clock.ts';

/** How the fleet's clouds are set up. */
export interface SimulatedFleetOptions {
  /** Seed of the spot markets (per target: the seed and the target id). */
  seed: number;
  /** Boot delay per instance type, seconds (`default` for the rest); the cloud's own default otherwise. */
  bootSeconds?: Record<string, number>;
  /** Ready nodes in each target's first pool at the start. Default 1. */
  initialNodes: number;
}

export class SimulatedFleet {
  private readonly clouds = new Map<string, { cloud: SimulatedCloud; pools: string }>();

  constructor(
    private readonly clock: Clock,
    private readonly options: SimulatedFleetOptions,
  ) {}

  /** The target's cloud, advanced to now; re-made when the target's pools changed. */
  portFor(target: Target): SimulatedCloud {
    const pools = JSON.stringify(target.pools);
    let entry = this.clouds.get(target.id);
    if (!entry || entry.pools !== pools) {
      const first = target.pools[0]!;
      const cloud = new SimulatedCloud({
        targetId: target.id,
        pools: target.pools.map((pool) => ({
          id: pool.id,
          instanceType: pool.instanceType,
          capacityType: pool.capacityType,
        })),
        startAt: this.clock.now(),
        seed: this.options.seed + hash(target.id),
        initial: { [first.id]: this.options.initialNodes },
        ...(this.options.bootSeconds ? { bootSeconds: this.options.bootSeconds } : {}),
      });
      entry = { cloud, pools };
      this.clouds.set(target.id, entry);
    }
    this.advance(entry.cloud);
    return entry.cloud;
  }

  /** Advance every cloud to now; what happened in them (spot notices, capacity errors), by target. */
  tick(): { targetId: string; events: CloudEvent[] }[] {
    return [...this.clouds.entries()].map(([targetId, { cloud }]) => ({ targetId, events: this.advance(cloud) }));
  }

  /** Forget a deleted target's cloud. */
  forget(targetId: string): void {
    this.clouds.delete(targetId);
  }

  private advance(cloud: SimulatedCloud): CloudEvent[] {
    const now = this.clock.now();
    return now > cloud.clock ? cloud.advanceTo(now) : [];
  }
}

function hash(text: string): number {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}
