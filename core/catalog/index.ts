/**
 * The instance catalog: GPU instance types with list prices for one reference region per cloud, and pure
 * helpers over it (lookup, merge user overrides, compatible, available, cheapest, the size ladder).
 * Where every figure came from is written next to it in aws.ts, gcp.ts and azure.ts and summed up in
 * CATALOG_SOURCES; spot figures are estimates throughout.
 */
import { AWS_CATALOG, AWS_SOURCES } from './aws.ts';
import { AZURE_CATALOG, AZURE_SOURCES } from './azure.ts';
import { GCP_CATALOG, GCP_SOURCES } from './gcp.ts';
import type { CatalogSource, InstanceTypeInfo, InstanceTypeOverride } from './types.ts';

export type { CatalogSource, InstanceTypeInfo, InstanceTypeOverride } from './types.ts';

/** Every built-in entry: AWS (us-east-1), Google Cloud (us-central1), Azure (eastus). */
export const DEFAULT_CATALOG: readonly InstanceTypeInfo[] = [...AWS_CATALOG, ...GCP_CATALOG, ...AZURE_CATALOG];

/** Where the built-in figures come from, with dates and what is an estimate. */
export const CATALOG_SOURCES: readonly CatalogSource[] = [...AWS_SOURCES, ...GCP_SOURCES, ...AZURE_SOURCES];

/** Name index per catalog array: decide prices every decision, and a linear scan of ~100 entries showed. */
const indexes = new WeakMap<readonly InstanceTypeInfo[], Map<string, InstanceTypeInfo>>();

/** The entry named `name` (exact, case-sensitive, as the provider spells it), or undefined. */
export function lookupInstanceType(
  name: string,
  catalog: readonly InstanceTypeInfo[] = DEFAULT_CATALOG,
): InstanceTypeInfo | undefined {
  let index = indexes.get(catalog);
  if (!index) {
    index = new Map();
    // First entry wins on duplicate names, as a linear find would.
    for (const entry of catalog) if (!index.has(entry.name)) index.set(entry.name, entry);
    indexes.set(catalog, index);
  }
  return index.get(name);
}

const REQUIRED_FIELDS = [
  'provider',
  'family',
  'gpus',
  'gpuModel',
  'gpuMemoryGiB',
  'vcpus',
  'memoryGiB',
  'onDemandUsdPerHour',
  'spotUsdPerHour',
  'region',
] as const;

function isComplete(entry: InstanceTypeOverride): entry is InstanceTypeInfo {
  return REQUIRED_FIELDS.every((field) => entry[field] !== undefined);
}

/**
 * `base` with `overrides` applied: an override of a known name replaces only the fields it gives (e.g. a
 * live spot price); an override of a new name is appended if it gives every field and skipped otherwise.
 * Order is kept (base first, new names in the order given); neither input is changed.
 */
export function mergeCatalog(
  base: readonly InstanceTypeInfo[],
  overrides: readonly InstanceTypeOverride[],
): InstanceTypeInfo[] {
  const merged = base.map((entry) => ({ ...entry }));
  for (const override of overrides) {
    const index = merged.findIndex((entry) => entry.name === override.name);
    const defined = Object.fromEntries(Object.entries(override).filter(([, value]) => value !== undefined));
    if (index >= 0) merged[index] = { ...merged[index]!, ...defined } as InstanceTypeInfo;
    else if (isComplete(override)) merged.push({ ...(defined as unknown as InstanceTypeInfo) });
  }
  return merged;
}

/** What a workload needs of an instance type. Every field is optional; absent means "any". */
export interface InstanceRequirement {
  provider?: InstanceTypeInfo['provider'];
  family?: string;
  /** GPU model, case-insensitive (`A100` matches `A100`). */
  gpuModel?: string;
  /** At least this many GPUs on one instance. */
  minGpus?: number;
  /** At least this much memory on each GPU, GiB. */
  minGpuMemoryGiB?: number;
}

/** True when `entry` meets every field of `requirement`. */
export function isCompatible(entry: InstanceTypeInfo, requirement: InstanceRequirement): boolean {
  if (requirement.provider !== undefined && entry.provider !== requirement.provider) return false;
  if (requirement.family !== undefined && entry.family !== requirement.family) return false;
  if (requirement.gpuModel !== undefined && entry.gpuModel.toLowerCase() !== requirement.gpuModel.toLowerCase())
    return false;
  if (requirement.minGpus !== undefined && entry.gpus < requirement.minGpus) return false;
  if (requirement.minGpuMemoryGiB !== undefined && entry.gpuMemoryGiB < requirement.minGpuMemoryGiB) return false;
  return true;
}

/** The entries compatible with `requirement`, in catalog order. */
export function compatible(catalog: readonly InstanceTypeInfo[], requirement: InstanceRequirement): InstanceTypeInfo[] {
  return catalog.filter((entry) => isCompatible(entry, requirement));
}

/** The entries whose name is not in `unavailable` (types that returned capacity errors, for instance). */
export function available(catalog: readonly InstanceTypeInfo[], unavailable: Iterable<string>): InstanceTypeInfo[] {
  const skip = new Set(unavailable);
  return catalog.filter((entry) => !skip.has(entry.name));
}

/** Price of one instance-hour bought as spot or on-demand, USD. */
export function hourlyPrice(entry: InstanceTypeInfo, capacityType: 'spot' | 'on-demand'): number {
  return capacityType === 'spot' ? entry.spotUsdPerHour : entry.onDemandUsdPerHour;
}

/** All GPU memory of one instance, GiB (4 x 24 GiB on g5.12xlarge = 96 GiB). */
export function totalGpuMemoryGiB(entry: InstanceTypeInfo): number {
  return entry.gpus * entry.gpuMemoryGiB;
}

/**
 * The cheapest compatible entry for `capacityType`; ties go to the one with more GPU memory, then by name,
 * so the answer never depends on catalog order.
 */
export function cheapest(
  catalog: readonly InstanceTypeInfo[],
  requirement: InstanceRequirement = {},
  capacityType: 'spot' | 'on-demand' = 'on-demand',
): InstanceTypeInfo | undefined {
  return compatible(catalog, requirement).sort(
    (a, b) =>
      hourlyPrice(a, capacityType) - hourlyPrice(b, capacityType) ||
      totalGpuMemoryGiB(b) - totalGpuMemoryGiB(a) ||
      a.name.localeCompare(b.name),
  )[0];
}

/** How far a size ladder reaches. */
export interface LadderOptions {
  catalog?: readonly InstanceTypeInfo[];
  /**
   * `family`: stay in the type's family (same GPU model and software). `provider`: any type of the same
   * provider and platform (SageMaker `ml.*` stays `ml.*`), e.g. g5.xlarge (24 GiB) -> g6e.xlarge (48 GiB).
   */
  scope?: 'family' | 'provider';
  /** An explicit ladder, smallest first; when given, it alone decides the steps. */
  ladder?: readonly string[];
}

function rungs(entry: InstanceTypeInfo, options: LadderOptions): InstanceTypeInfo[] {
  const catalog = options.catalog ?? DEFAULT_CATALOG;
  const sagemaker = entry.name.startsWith('ml.');
  return catalog.filter((other) =>
    (options.scope ?? 'family') === 'family'
      ? other.provider === entry.provider && other.family === entry.family
      : other.provider === entry.provider && other.name.startsWith('ml.') === sagemaker,
  );
}

function step(name: string, direction: 1 | -1, options: LadderOptions): InstanceTypeInfo | undefined {
  const catalog = options.catalog ?? DEFAULT_CATALOG;
  if (options.ladder && options.ladder.length > 0) {
    const index = options.ladder.indexOf(name);
    if (index < 0) return undefined;
    const next = options.ladder[index + direction];
    return next === undefined ? undefined : lookupInstanceType(next, catalog);
  }
  const entry = lookupInstanceType(name, catalog);
  if (!entry) return undefined;
  const memory = totalGpuMemoryGiB(entry);
  // A step down exists to save money, so it only goes to types that cost less (g5.xlarge never steps
  // "down" to the older, dearer p3.2xlarge with 16 GiB).
  const candidates = rungs(entry, options).filter((other) =>
    direction === 1
      ? totalGpuMemoryGiB(other) > memory
      : totalGpuMemoryGiB(other) < memory && other.onDemandUsdPerHour < entry.onDemandUsdPerHour,
  );
  if (candidates.length === 0) return undefined;
  // The next rung is the nearest GPU-memory level in that direction; at that level, the cheapest type.
  const level =
    direction === 1 ? Math.min(...candidates.map(totalGpuMemoryGiB)) : Math.max(...candidates.map(totalGpuMemoryGiB));
  return cheapest(candidates.filter((other) => totalGpuMemoryGiB(other) === level));
}

/**
 * The next larger type on the ladder: the nearest level of more total GPU memory, cheapest on-demand type at
 * that level. g5.xlarge (1 x 24 GiB, $1.006/h) -> g5.12xlarge (4 x 24 GiB, $5.672/h) in family scope.
 */
export function nextLarger(name: string, options: LadderOptions = {}): InstanceTypeInfo | undefined {
  return step(name, 1, options);
}

/** The next smaller type on the ladder (the mirror of `nextLarger`, limited to cheaper types). */
export function nextSmaller(name: string, options: LadderOptions = {}): InstanceTypeInfo | undefined {
  return step(name, -1, options);
}
