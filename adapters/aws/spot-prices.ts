/**
 * Live spot prices from DescribeSpotPriceHistory, cached per region with their age. A price older than
 * `staleAfterMs`, or none at all (the call failed, the type has no spot market here), falls back to the
 * catalog's estimate, and the note says which and why: the notes go into the decision's reasons, so a
 * person can see which prices a spot choice was made on.
 */
import { lookupInstanceType } from '../../core/catalog/index.ts';
import type { InstanceTypeOverride } from '../../core/catalog/types.ts';
import type { AwsCaller } from './calls.ts';
import type { AwsClients, AwsScope } from './clients.ts';
import { scopeKey } from './scope.ts';

export interface SpotPriceOptions {
  /** A cached price is read again after this long, ms. Default 5 min (EC2 changes spot prices a few times a day). */
  refreshAfterMs: number;
  /** A price older than this (by EC2's own timestamp or the cache's) is not used, ms. Default 6 h. */
  staleAfterMs: number;
}
export const DEFAULT_SPOT_PRICE_OPTIONS: SpotPriceOptions = { refreshAfterMs: 5 * 60_000, staleAfterMs: 6 * 3_600_000 };

/** The prices for a decision: catalog overrides (the policy's `instanceTypes` shape) and why each was chosen. */
export interface SpotPrices {
  overrides: Pick<InstanceTypeOverride, 'name' | 'spotUsdPerHour'>[];
  notes: string[];
  /** By instance type: the live price when fresh, and the note that says where it came from or why not. */
  byType: Map<string, { usdPerHour?: number; note: string }>;
}

interface Cached {
  /** Cheapest current zone price per type. */
  prices: Map<string, { usdPerHour: number; zone: string; at: number }>;
  readAt: number;
  error?: string;
}

export interface SpotPriceCache {
  prices(scope: AwsScope, instanceTypes: readonly string[], productDescription?: string): Promise<SpotPrices>;
}

export function createSpotPriceCache(deps: {
  clients: AwsClients;
  caller: AwsCaller;
  now: () => number;
  options?: Partial<SpotPriceOptions>;
}): SpotPriceCache {
  const options = { ...DEFAULT_SPOT_PRICE_OPTIONS, ...deps.options };
  const cache = new Map<string, Cached>();

  const read = async (scope: AwsScope, types: string[], product: string): Promise<Cached> => {
    const now = deps.now();
    try {
      const { sdk, client } = await deps.clients.ec2(scope);
      // StartTime = now: EC2 answers with the price in force now, one row per zone.
      const input = {
        InstanceTypes: types as never[],
        ProductDescriptions: [product],
        StartTime: new Date(now),
        MaxResults: 1000,
      };
      const out = await deps.caller.call('ec2:DescribeSpotPriceHistory', `region/${scope.region}`, input, () =>
        client.send(new sdk.DescribeSpotPriceHistoryCommand(input)),
      );
      const prices: Cached['prices'] = new Map();
      for (const row of out?.SpotPriceHistory ?? []) {
        const usd = Number(row.SpotPrice);
        if (!row.InstanceType || !Number.isFinite(usd) || usd <= 0) continue;
        const known = prices.get(row.InstanceType);
        if (!known || usd < known.usdPerHour) {
          prices.set(row.InstanceType, {
            usdPerHour: usd,
            zone: row.AvailabilityZone ?? '?',
            at: row.Timestamp?.getTime() ?? now,
          });
        }
      }
      return { prices, readAt: now };
    } catch (error) {
      return { prices: new Map(), readAt: now, error: (error as Error).message };
    }
  };

  return {
    async prices(scope, instanceTypes, productDescription = 'Linux/UNIX') {
      const now = deps.now();
      const types = [...new Set(instanceTypes)].sort();
      const key = `${scopeKey(scope)}|${productDescription}|${types.join(',')}`;
      let cached = cache.get(key);
      if (!cached || now - cached.readAt >= options.refreshAfterMs) {
        const fresh = await read(scope, types, productDescription);
        // A failed read keeps the last good prices (they age, and go stale on their own).
        cached = fresh.error && cached ? { ...cached, error: fresh.error } : fresh;
        cache.set(key, cached);
      }
      const overrides: SpotPrices['overrides'] = [];
      const notes: string[] = [];
      const byType: SpotPrices['byType'] = new Map();
      for (const type of types) {
        const live = cached.prices.get(type);
        const age = live ? Math.round((now - Math.min(live.at, now)) / 1000) : undefined;
        if (live && age !== undefined && age * 1000 <= options.staleAfterMs) {
          const note = `spot price ${type}: $${live.usdPerHour}/h in ${live.zone} from DescribeSpotPriceHistory, ${age} s old`;
          overrides.push({ name: type, spotUsdPerHour: live.usdPerHour });
          notes.push(note);
          byType.set(type, { usdPerHour: live.usdPerHour, note });
          continue;
        }
        const catalog = lookupInstanceType(type)?.spotUsdPerHour;
        const why = live
          ? `the price from DescribeSpotPriceHistory is ${age} s old (stale after ${options.staleAfterMs / 1000} s)`
          : cached.error
            ? `DescribeSpotPriceHistory failed (${cached.error})`
            : `DescribeSpotPriceHistory has no ${productDescription} price for it in ${scope.region}`;
        const note =
          catalog === undefined
            ? `spot price ${type}: ${why}, and the catalog has no estimate`
            : `spot price ${type}: ${why}; using the catalog's estimate $${catalog}/h`;
        notes.push(note);
        byType.set(type, { note });
      }
      return { overrides, notes, byType };
    },
  };
}
