import type { CatalogSource, InstanceTypeInfo } from './types.ts';
import { familyRows, type CatalogRow } from './rows.ts';

/*
 * Google Cloud accelerator-optimized machine types, us-central1, USD per instance-hour.
 *
 * On-demand: https://cloud.google.com/compute/vm-instance-pricing (accelerator-optimized: G2, A2, A3), as
 * published through 2025 (GPU, vCPU and memory included in the machine price). Transcribed without internet
 * access; not re-verified line by line on 2026-11-28. a3-highgpu-1g/2g/4g are offered only as Spot or
 * Flex-start; their on-demand figure is an ESTIMATE (a3-highgpu-8g / 8 per GPU).
 *
 * Spot: ESTIMATES. Google states that Spot VMs are 60-91 % cheaper than on-demand and that a price changes
 * at most once every 30 days (https://cloud.google.com/spot-vms/pricing, read 2026-11-28); the figure is the
 * on-demand price x 0.40 for G2 and A2 and x 0.35 for A3, in the middle of that range.
 */

type Row = CatalogRow;

function family(
  familyName: string,
  gpuModel: string,
  gpuMemoryGiB: number,
  spotRatio: number,
  rows: Row[],
): InstanceTypeInfo[] {
  return familyRows('gcp', 'us-central1', familyName, gpuModel, gpuMemoryGiB, spotRatio, rows);
}

/** Google Cloud entries: G2 (L4), A2 high and ultra (A100 40/80 GB), A3 high (H100 80 GB). */
export const GCP_CATALOG: readonly InstanceTypeInfo[] = [
  ...family('g2-standard', 'L4', 24, 0.4, [
    ['g2-standard-4', 1, 4, 16, 0.70683],
    ['g2-standard-8', 1, 8, 32, 0.85358],
    ['g2-standard-12', 1, 12, 48, 1.00033],
    ['g2-standard-16', 1, 16, 64, 1.14708],
    ['g2-standard-24', 2, 24, 96, 2.00066],
    ['g2-standard-32', 1, 32, 128, 1.73],
    ['g2-standard-48', 4, 48, 192, 4.00132],
    ['g2-standard-96', 8, 96, 384, 8.00264],
  ]),
  ...family('a2-highgpu', 'A100', 40, 0.4, [
    ['a2-highgpu-1g', 1, 12, 85, 3.67338],
    ['a2-highgpu-2g', 2, 24, 170, 7.34677],
    ['a2-highgpu-4g', 4, 48, 340, 14.69354],
    ['a2-highgpu-8g', 8, 96, 680, 29.38708],
  ]),
  ...family('a2-ultragpu', 'A100', 80, 0.4, [
    ['a2-ultragpu-1g', 1, 12, 170, 5.06879],
    ['a2-ultragpu-2g', 2, 24, 340, 10.13758],
    ['a2-ultragpu-4g', 4, 48, 680, 20.27517],
    ['a2-ultragpu-8g', 8, 96, 1360, 40.55034],
  ]),
  ...family('a3-highgpu', 'H100', 80, 0.35, [
    ['a3-highgpu-1g', 1, 26, 234, 11.0311],
    ['a3-highgpu-2g', 2, 52, 468, 22.0622],
    ['a3-highgpu-4g', 4, 104, 936, 44.1244],
    ['a3-highgpu-8g', 8, 208, 1872, 88.2488],
  ]),
];

/** Where the Google Cloud figures come from, when they were taken, and which are estimates. */
export const GCP_SOURCES: readonly CatalogSource[] = [
  {
    provider: 'gcp',
    families: ['g2-standard', 'a2-highgpu', 'a2-ultragpu', 'a3-highgpu'],
    url: 'https://cloud.google.com/compute/vm-instance-pricing',
    asOf: '2026-11-28',
    note: 'on-demand list prices as published through 2025; a3-highgpu-1g/2g/4g on-demand and all spot figures are estimates',
  },
];
