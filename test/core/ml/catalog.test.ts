import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CATALOG_SOURCES,
  DEFAULT_CATALOG,
  available,
  cheapest,
  compatible,
  lookupInstanceType,
  mergeCatalog,
  nextLarger,
  nextSmaller,
  totalGpuMemoryGiB,
} from '../../../core/catalog/index.ts';

describe('DEFAULT_CATALOG', () => {
  it('has unique names, positive figures and spot below on-demand', () => {
    const names = new Set(DEFAULT_CATALOG.map((entry) => entry.name));
    expect(names.size).toBe(DEFAULT_CATALOG.length);
    for (const entry of DEFAULT_CATALOG) {
      expect(entry.gpus, entry.name).toBeGreaterThan(0);
      expect(entry.onDemandUsdPerHour, entry.name).toBeGreaterThan(0);
      expect(entry.spotUsdPerHour, entry.name).toBeGreaterThan(0);
      expect(entry.spotUsdPerHour, entry.name).toBeLessThan(entry.onDemandUsdPerHour);
      expect(['us-east-1', 'us-central1', 'eastus']).toContain(entry.region);
    }
  });

  it.each([
    ['aws', ['g5', 'g6', 'g6e', 'p4d', 'p5', 'ml.g5', 'ml.g6', 'ml.g6e', 'ml.p4d', 'ml.p5']],
    ['gcp', ['g2-standard', 'a2-highgpu', 'a2-ultragpu', 'a3-highgpu']],
    ['azure', ['NCads_A100_v4', 'NCads_H100_v5', 'ND_A100_v4', 'ND_H100_v5']],
  ])('covers the %s families of the issue and names a source for each', (provider, families) => {
    for (const family of families) {
      expect(
        DEFAULT_CATALOG.some((entry) => entry.provider === provider && entry.family === family),
        family,
      ).toBe(true);
      expect(
        CATALOG_SOURCES.some((source) => source.families.includes(family)),
        family,
      ).toBe(true);
    }
  });
});

describe('lookupInstanceType', () => {
  it.each([
    ['g5.xlarge', 1, 'A10G', 24, 1.006],
    ['p3.2xlarge', 1, 'V100', 16, 3.06],
    ['ml.g5.12xlarge', 4, 'A10G', 24, 7.09],
    ['g2-standard-8', 1, 'L4', 24, 0.85358],
    ['a2-highgpu-1g', 1, 'A100', 40, 3.67338],
    ['Standard_NC24ads_A100_v4', 1, 'A100', 80, 3.673],
  ])('%s: %i x %s %i GiB at $%f/h', (name, gpus, model, memory, price) => {
    const entry = lookupInstanceType(name);
    expect(entry).toMatchObject({ gpus, gpuModel: model, gpuMemoryGiB: memory, onDemandUsdPerHour: price });
  });

  it('returns undefined for unknown names', () => {
    expect(lookupInstanceType('g5.huge')).toBeUndefined();
  });
});

describe('mergeCatalog', () => {
  it('overrides one field of a known type and keeps the rest', () => {
    const merged = mergeCatalog(DEFAULT_CATALOG, [{ name: 'g5.xlarge', spotUsdPerHour: 0.3 }]);
    expect(lookupInstanceType('g5.xlarge', merged)).toMatchObject({ spotUsdPerHour: 0.3, onDemandUsdPerHour: 1.006 });
    expect(lookupInstanceType('g5.xlarge')!.spotUsdPerHour).not.toBe(0.3); // the base is untouched
  });

  it('appends a complete new type and skips an incomplete one', () => {
    const custom = {
      name: 'p6-b200.48xlarge',
      provider: 'aws' as const,
      family: 'p6',
      gpus: 8,
      gpuModel: 'B200',
      gpuMemoryGiB: 179,
      vcpus: 192,
      memoryGiB: 2048,
      onDemandUsdPerHour: 113.93,
      spotUsdPerHour: 60,
      region: 'us-east-1',
    };
    const merged = mergeCatalog(DEFAULT_CATALOG, [custom, { name: 'half-known', gpus: 2 }]);
    expect(merged).toHaveLength(DEFAULT_CATALOG.length + 1);
    expect(lookupInstanceType('p6-b200.48xlarge', merged)).toEqual(custom);
    expect(lookupInstanceType('half-known', merged)).toBeUndefined();
  });
});

describe('helpers', () => {
  it('cheapest spot type with an A100 of 80 GiB is the Azure NC24ads ($3.673 x 0.40 = $1.4692/h)', () => {
    const entry = cheapest(DEFAULT_CATALOG, { gpuModel: 'a100', minGpuMemoryGiB: 80 }, 'spot');
    expect(entry?.name).toBe('Standard_NC24ads_A100_v4');
    expect(entry?.spotUsdPerHour).toBeCloseTo(1.4692, 4);
  });

  it('available drops types that reported capacity errors', () => {
    const g5 = compatible(DEFAULT_CATALOG, { family: 'g5' });
    const rest = available(g5, ['g5.xlarge']);
    expect(rest).toHaveLength(g5.length - 1);
    expect(cheapest(rest)?.name).toBe('g5.2xlarge');
  });

  it.each([
    ['g5.xlarge', 'family', 'g5.12xlarge', undefined],
    ['g5.12xlarge', 'family', 'g5.48xlarge', 'g5.xlarge'],
    ['g5.48xlarge', 'family', undefined, 'g5.12xlarge'],
    ['g5.xlarge', 'provider', 'g6e.xlarge', undefined],
    ['ml.g5.xlarge', 'provider', 'ml.g6e.xlarge', undefined],
    ['g2-standard-8', 'family', 'g2-standard-24', undefined],
    ['Standard_NC24ads_A100_v4', 'family', 'Standard_NC48ads_A100_v4', undefined],
  ] as const)('ladder from %s (%s scope): up %s, down %s', (name, scope, up, down) => {
    expect(nextLarger(name, { scope })?.name).toBe(up);
    expect(nextSmaller(name, { scope })?.name).toBe(down);
  });

  it('an explicit ladder decides the steps', () => {
    const ladder = ['g6.xlarge', 'g6e.xlarge', 'g6e.12xlarge'];
    expect(nextLarger('g6e.xlarge', { ladder })?.name).toBe('g6e.12xlarge');
    expect(nextSmaller('g6e.xlarge', { ladder })?.name).toBe('g6.xlarge');
    expect(nextLarger('g5.xlarge', { ladder })).toBeUndefined();
  });

  it('property: a step up always adds GPU memory and a step back down never goes above the start', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DEFAULT_CATALOG.map((e) => e.name)),
        fc.constantFrom('family', 'provider'),
        (name, scope) => {
          const start = lookupInstanceType(name)!;
          const up = nextLarger(name, { scope: scope as 'family' | 'provider' });
          if (!up) return;
          expect(totalGpuMemoryGiB(up)).toBeGreaterThan(totalGpuMemoryGiB(start));
          const down = nextSmaller(up.name, { scope: scope as 'family' | 'provider' });
          // Within a family prices rise with GPU memory, so the way back down always exists.
          if (scope === 'family') expect(down).toBeDefined();
          if (down) {
            expect(totalGpuMemoryGiB(down)).toBeLessThan(totalGpuMemoryGiB(up));
            expect(down.onDemandUsdPerHour).toBeLessThan(up.onDemandUsdPerHour);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
