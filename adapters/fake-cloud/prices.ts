import { lookupInstanceType } from '../../core/catalog/index.ts';
import type { CapacityType } from '../../core/schema/target.ts';

/** Price and GPUs of one instance type, as the simulated cloud bills it. */
export interface InstancePricing {
  usdPerHour: number;
  gpus: number;
}

/**
 * Hourly price and GPU count of `instanceType` bought as `capacityType`, from the project's catalog
 * (`core/catalog`). An unknown type is an error: a simulation must not bill at a made-up price.
 */
export function instancePricing(instanceType: string, capacityType: CapacityType): InstancePricing {
  const entry = lookupInstanceType(instanceType);
  if (!entry) throw new Error(`instance type "${instanceType}" is not in the catalog (core/catalog)`);
  return {
    usdPerHour: capacityType === 'spot' ? entry.spotUsdPerHour : entry.onDemandUsdPerHour,
    gpus: entry.gpus,
  };
}
