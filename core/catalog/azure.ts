import type { CatalogSource, InstanceTypeInfo } from './types.ts';
import { familyRows, type CatalogRow } from './rows.ts';

/*
 * Azure GPU virtual machines, East US (eastus), Linux pay-as-you-go, USD per instance-hour.
 *
 * On-demand: https://azure.microsoft.com/pricing/details/virtual-machines/linux/ as published through 2025;
 * transcribed without internet access, not re-verified line by line on 2026-11-28.
 * Specs: https://learn.microsoft.com/azure/virtual-machines/sizes (NC A100 v4, NCads H100 v5, ND A100 v4,
 * ND H100 v5). The NCads H100 v5 GPU is the H100 NVL with 94 GB.
 *
 * Spot: ESTIMATES. Azure spot prices vary by region and over time; the figure is the pay-as-you-go price x
 * 0.40 (NC) and x 0.45 (ND). For scale: a public write-up (caleta.io, 2026) reports NC40ads_H100_v5 spot at
 * $1.51-1.61/h in Southeast Asia regions, 0.23 of the East US pay-as-you-go price below.
 */

type Row = CatalogRow;

function family(
  familyName: string,
  gpuModel: string,
  gpuMemoryGiB: number,
  spotRatio: number,
  rows: Row[],
): InstanceTypeInfo[] {
  return familyRows('azure', 'eastus', familyName, gpuModel, gpuMemoryGiB, spotRatio, rows);
}

/** Azure entries: NC A100 v4, NCads H100 v5, ND A100 v4 (40 and 80 GB) and ND H100 v5. */
export const AZURE_CATALOG: readonly InstanceTypeInfo[] = [
  ...family('NCads_A100_v4', 'A100', 80, 0.4, [
    ['Standard_NC24ads_A100_v4', 1, 24, 220, 3.673],
    ['Standard_NC48ads_A100_v4', 2, 48, 440, 7.346],
    ['Standard_NC96ads_A100_v4', 4, 96, 880, 14.692],
  ]),
  ...family('NCads_H100_v5', 'H100', 94, 0.4, [
    ['Standard_NC40ads_H100_v5', 1, 40, 320, 6.98],
    ['Standard_NC80adis_H100_v5', 2, 80, 640, 13.96],
  ]),
  ...family('ND_A100_v4', 'A100', 40, 0.45, [['Standard_ND96asr_v4', 8, 96, 900, 27.197]]),
  ...family('ND_A100_v4_80GB', 'A100', 80, 0.45, [['Standard_ND96amsr_A100_v4', 8, 96, 1900, 32.77]]),
  ...family('ND_H100_v5', 'H100', 80, 0.45, [['Standard_ND96isr_H100_v5', 8, 96, 1900, 98.32]]),
];

/** Where the Azure figures come from, when they were taken, and which are estimates. */
export const AZURE_SOURCES: readonly CatalogSource[] = [
  {
    provider: 'azure',
    families: ['NCads_A100_v4', 'NCads_H100_v5', 'ND_A100_v4', 'ND_A100_v4_80GB', 'ND_H100_v5'],
    url: 'https://azure.microsoft.com/pricing/details/virtual-machines/linux/',
    asOf: '2026-11-28',
    note: 'pay-as-you-go list prices as published through 2025; all spot figures are estimates',
  },
];
