import type { InstanceTypeInfo } from './types.ts';

/** One instance type of a family, as the provider files list them: name, GPUs, vCPUs, RAM GiB, on-demand $/h. */
export type CatalogRow = [name: string, gpus: number, vcpus: number, memoryGiB: number, onDemand: number];

/**
 * Expand a family's rows into catalog entries for one provider and reference region. The spot price is the
 * on-demand price times the family's typical spot ratio (an estimate, as each provider file says).
 */
export function familyRows(
  provider: InstanceTypeInfo['provider'],
  region: string,
  familyName: string,
  gpuModel: string,
  gpuMemoryGiB: number,
  spotRatio: number,
  rows: readonly CatalogRow[],
): InstanceTypeInfo[] {
  return rows.map(([name, gpus, vcpus, memoryGiB, onDemand]) => ({
    name,
    provider,
    family: familyName,
    gpus,
    gpuModel,
    gpuMemoryGiB,
    vcpus,
    memoryGiB,
    onDemandUsdPerHour: onDemand,
    spotUsdPerHour: Math.round(onDemand * spotRatio * 10_000) / 10_000,
    region,
  }));
}
