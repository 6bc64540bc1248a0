import { lookupInstanceType } from '../../core/catalog/index.ts';
import type { ObservedCapacity } from '../../core/schema/target.ts';

/**
 * List-price spend of what is observed now, $/h: every desired node or replica (ready or booting: both are
 * billed) at its catalog price, spot or on-demand. Null when a pool's instance type is not in the catalog.
 */
export function usdPerHourOf(observed: ObservedCapacity): number | null {
  let total = 0;
  for (const pool of observed.pools) {
    const info = lookupInstanceType(pool.instanceType);
    if (!info) return null;
    const price = pool.capacityType === 'spot' ? info.spotUsdPerHour : info.onDemandUsdPerHour;
    total += price * Math.max(pool.desired, pool.ready + pool.pending);
  }
  return Math.round(total * 10_000) / 10_000;
}
