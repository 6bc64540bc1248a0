/**
 * Spot placement scores from EC2 GetSpotPlacementScores: how likely a spot request for a set of instance
 * types is to be fulfilled, 1 (unlikely) to 10 (very likely), per Availability Zone of a region. A target's
 * spot pools are ranked by them in the core (`spot.placementScoreWeight`), next to price and interruptions.
 *
 * One request per region, type set and capacity: every spot instance type of the target's groups in the
 * region (EC2 scores a set; it asks for at least three types, and scores one or two types low), the spot
 * pools' desired total rounded up to a power of two (so a fleet that grows by one node does not make a new
 * request configuration: EC2 may limit how many new configurations an account asks for in 24 h), and
 * `SingleAvailabilityZone=true`, so each zone gets its own score. EC2 names the zones by id (`use1-az4`), which
 * differ by account; DescribeAvailabilityZones maps them to names once a day.
 *
 * Cached per request, refreshed after `refreshAfterMs` (15 min: scores follow spot capacity, which moves over
 * hours, and each read counts against the account's configurations). A failed read keeps the last good scores
 * (they age, and are dropped once stale); no scores at all is not an error: the pools rank by price alone and
 * the note says why.
 */
import type { AwsCaller } from './calls.ts';
import type { AwsClients, AwsScope } from './clients.ts';
import { scopeKey } from './scope.ts';

export interface PlacementScoreOptions {
  /** Cached scores are read again after this long, ms. Default 15 min. */
  refreshAfterMs: number;
  /** Scores older than this are not used, ms. Default 2 h. */
  staleAfterMs: number;
  /** The zone id to name map is read again after this long, ms. Default 24 h (it does not change). */
  zonesRefreshAfterMs: number;
}
export const DEFAULT_PLACEMENT_SCORE_OPTIONS: PlacementScoreOptions = {
  refreshAfterMs: 15 * 60_000,
  staleAfterMs: 2 * 3_600_000,
  zonesRefreshAfterMs: 24 * 3_600_000,
};

/** Scores for one request: by zone name, and a note (where they came from, or why there are none). */
export interface PlacementScores {
  byZone: Map<string, number>;
  note: string;
}

export interface PlacementScoreCache {
  scores(scope: AwsScope, instanceTypes: readonly string[], targetCapacity: number): Promise<PlacementScores>;
}

interface Cached {
  byZone: Map<string, number>;
  readAt: number;
  error?: string;
}

/** The capacity asked about: the next power of two at or above `count` (at least 1, at most 2^20). */
export function capacityBucket(count: number): number {
  const wanted = Math.min(Math.max(1, Math.ceil(count)), 1 << 20);
  return 2 ** Math.ceil(Math.log2(wanted));
}

export function createPlacementScoreCache(deps: {
  clients: AwsClients;
  caller: AwsCaller;
  now: () => number;
  options?: Partial<PlacementScoreOptions>;
}): PlacementScoreCache {
  const options = { ...DEFAULT_PLACEMENT_SCORE_OPTIONS, ...deps.options };
  const cache = new Map<string, Cached>();
  const zoneNames = new Map<string, { names: Map<string, string>; readAt: number }>();
  // Bounded: one entry per region, type set and bucket a process has seen; past this the oldest goes.
  const MAX_ENTRIES = 256;

  const zonesOf = async (scope: AwsScope): Promise<Map<string, string>> => {
    const key = scopeKey(scope);
    const known = zoneNames.get(key);
    if (known && deps.now() - known.readAt < options.zonesRefreshAfterMs) return known.names;
    const { sdk, client } = await deps.clients.ec2(scope);
    const input = {};
    const out = await deps.caller.call('ec2:DescribeAvailabilityZones', `region/${scope.region}`, input, () =>
      client.send(new sdk.DescribeAvailabilityZonesCommand(input)),
    );
    const names = new Map<string, string>();
    for (const zone of out?.AvailabilityZones ?? [])
      if (zone.ZoneId && zone.ZoneName) names.set(zone.ZoneId, zone.ZoneName);
    zoneNames.set(key, { names, readAt: deps.now() });
    return names;
  };

  const read = async (scope: AwsScope, types: string[], capacity: number): Promise<Cached> => {
    const readAt = deps.now();
    try {
      const { sdk, client } = await deps.clients.ec2(scope);
      const input = {
        InstanceTypes: types,
        TargetCapacity: capacity,
        TargetCapacityUnitType: 'units' as const,
        SingleAvailabilityZone: true,
        RegionNames: [scope.region],
        MaxResults: 10,
      };
      const out = await deps.caller.call('ec2:GetSpotPlacementScores', `region/${scope.region}`, input, () =>
        client.send(new sdk.GetSpotPlacementScoresCommand(input)),
      );
      const names = await zonesOf(scope);
      const byZone = new Map<string, number>();
      for (const row of out?.SpotPlacementScores ?? []) {
        const name = row.AvailabilityZoneId ? names.get(row.AvailabilityZoneId) : undefined;
        if (name && Number.isInteger(row.Score) && row.Score! >= 1 && row.Score! <= 10) byZone.set(name, row.Score!);
      }
      return { byZone, readAt };
    } catch (error) {
      return { byZone: new Map(), readAt, error: (error as Error).message };
    }
  };

  return {
    async scores(scope, instanceTypes, targetCapacity) {
      const now = deps.now();
      const types = [...new Set(instanceTypes)].sort();
      const capacity = capacityBucket(targetCapacity);
      const key = `${scopeKey(scope)}|${capacity}|${types.join(',')}`;
      let cached = cache.get(key);
      if (!cached || now - cached.readAt >= options.refreshAfterMs) {
        const fresh = await read(scope, types, capacity);
        // A failed read keeps the last good scores, stamped with when they were read (they go stale on their own).
        cached = fresh.error && cached && cached.byZone.size > 0 ? { ...cached, error: fresh.error } : fresh;
        cache.delete(key);
        cache.set(key, cached);
        if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
      }
      const age = Math.round((now - cached.readAt) / 1000);
      const what = `GetSpotPlacementScores for ${types.join(', ')} x ${capacity} in ${scope.region}`;
      if (cached.byZone.size > 0 && now - cached.readAt <= options.staleAfterMs) {
        const few = types.length < 3 ? ' (fewer than 3 types: EC2 scores them low)' : '';
        const failed = cached.error ? `; the last read failed (${cached.error})` : '';
        return { byZone: cached.byZone, note: `${what}, ${age} s old${few}${failed}` };
      }
      const why = cached.error
        ? `failed (${cached.error})`
        : cached.byZone.size > 0
          ? `is ${age} s old (stale after ${options.staleAfterMs / 1000} s)`
          : 'scored no zone of the region';
      return { byZone: new Map(), note: `${what} ${why}: ranked by price alone` };
    },
  };
}
