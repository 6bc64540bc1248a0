import type { CatalogSource, InstanceTypeInfo } from './types.ts';
import { familyRows, type CatalogRow } from './rows.ts';

/*
 * AWS GPU types, us-east-1, Linux, USD per instance-hour.
 *
 * On-demand: list prices from https://aws.amazon.com/ec2/pricing/on-demand/ (EC2) and
 * https://aws.amazon.com/sagemaker/pricing/ (SageMaker real-time inference), as published through 2025.
 * This machine has no internet; the figures were transcribed from those pages and cross-checked on
 * 2026-11-28 where a public page repeated them (g5.xlarge $1.006/h: factualminds.com, "Amazon EC2 On-Demand
 * Pricing", 2026-06-17). p4d and p5: AWS cut P4 prices by up to 33 % and P5 by up to 45 % in June 2025
 * ("Announcing up to 45% price reduction for Amazon EC2 NVIDIA GPU-accelerated instances", 2025-06-05); the
 * figures below are the pre-cut list prices ($32.7726, $98.32) with those cuts applied: ESTIMATES.
 * SageMaker ml.g6 / ml.g6e: ESTIMATES at the EC2 price x 1.25 (the ml.g5 premium over g5 is 1.25-1.40x).
 *
 * Spot: ESTIMATES. Spot prices change every few minutes and differ by zone
 * (https://aws.amazon.com/ec2/spot/pricing/); the figure is the on-demand price times a typical discount seen
 * for the family in us-east-1 (g5 0.42, g6 0.45, g6e 0.50, p3 0.30, p4d 0.45, p5 0.55). SageMaker endpoints
 * cannot run on spot; for ml.* the spot figure stands for managed spot training at the same discount.
 * Override any figure with live prices through the policy's `instanceTypes`.
 */

type Row = CatalogRow;

function family(
  familyName: string,
  gpuModel: string,
  gpuMemoryGiB: number,
  spotRatio: number,
  rows: Row[],
): InstanceTypeInfo[] {
  return familyRows('aws', 'us-east-1', familyName, gpuModel, gpuMemoryGiB, spotRatio, rows);
}

const g5: Row[] = [
  ['g5.xlarge', 1, 4, 16, 1.006],
  ['g5.2xlarge', 1, 8, 32, 1.212],
  ['g5.4xlarge', 1, 16, 64, 1.624],
  ['g5.8xlarge', 1, 32, 128, 2.448],
  ['g5.12xlarge', 4, 48, 192, 5.672],
  ['g5.16xlarge', 1, 64, 256, 4.096],
  ['g5.24xlarge', 4, 96, 384, 8.144],
  ['g5.48xlarge', 8, 192, 768, 16.288],
];
const g6: Row[] = [
  ['g6.xlarge', 1, 4, 16, 0.8048],
  ['g6.2xlarge', 1, 8, 32, 0.9776],
  ['g6.4xlarge', 1, 16, 64, 1.3232],
  ['g6.8xlarge', 1, 32, 128, 2.0144],
  ['g6.12xlarge', 4, 48, 192, 4.6016],
  ['g6.16xlarge', 1, 64, 256, 3.3968],
  ['g6.24xlarge', 4, 96, 384, 6.6752],
  ['g6.48xlarge', 8, 192, 768, 13.3504],
];
const g6e: Row[] = [
  ['g6e.xlarge', 1, 4, 32, 1.861],
  ['g6e.2xlarge', 1, 8, 64, 2.24208],
  ['g6e.4xlarge', 1, 16, 128, 3.00424],
  ['g6e.8xlarge', 1, 32, 256, 4.52856],
  ['g6e.12xlarge', 4, 48, 384, 10.49264],
  ['g6e.16xlarge', 1, 64, 512, 7.57719],
  ['g6e.24xlarge', 4, 96, 768, 15.06559],
  ['g6e.48xlarge', 8, 192, 1536, 30.13118],
];
const mlG5: Row[] = [
  ['ml.g5.xlarge', 1, 4, 16, 1.408],
  ['ml.g5.2xlarge', 1, 8, 32, 1.515],
  ['ml.g5.4xlarge', 1, 16, 64, 2.03],
  ['ml.g5.8xlarge', 1, 32, 128, 3.06],
  ['ml.g5.12xlarge', 4, 48, 192, 7.09],
  ['ml.g5.16xlarge', 1, 64, 256, 5.12],
  ['ml.g5.24xlarge', 4, 96, 384, 10.18],
  ['ml.g5.48xlarge', 8, 192, 768, 20.36],
];
const sagemaker = (rows: Row[]): Row[] =>
  rows.map(([name, gpus, vcpus, memoryGiB, onDemand]) => [
    `ml.${name}`,
    gpus,
    vcpus,
    memoryGiB,
    Math.round(onDemand * 1.25 * 10_000) / 10_000,
  ]);

/** AWS entries: EC2 g5, g6, g6e, p3 (benchmark reference), p4d, p5 and SageMaker ml.* of the same. */
export const AWS_CATALOG: readonly InstanceTypeInfo[] = [
  ...family('g5', 'A10G', 24, 0.42, g5),
  ...family('g6', 'L4', 24, 0.45, g6),
  ...family('g6e', 'L40S', 48, 0.5, g6e),
  // p3.2xlarge is here because the published spot-interruption trace the benchmark replays is for it.
  ...family('p3', 'V100', 16, 0.3, [['p3.2xlarge', 1, 8, 61, 3.06]]),
  ...family('p4d', 'A100', 40, 0.45, [['p4d.24xlarge', 8, 96, 1152, 21.9576]]),
  ...family('p5', 'H100', 80, 0.55, [['p5.48xlarge', 8, 192, 2048, 55.04]]),
  ...family('ml.g5', 'A10G', 24, 0.42, mlG5),
  ...family('ml.g6', 'L4', 24, 0.45, sagemaker(g6)),
  ...family('ml.g6e', 'L40S', 48, 0.5, sagemaker(g6e)),
  ...family('ml.p4d', 'A100', 40, 0.45, [['ml.p4d.24xlarge', 8, 96, 1152, 27.447]]),
  ...family('ml.p5', 'H100', 80, 0.55, [['ml.p5.48xlarge', 8, 192, 2048, 68.8]]),
];

/** Where the AWS figures come from, when they were taken, and which are estimates. */
export const AWS_SOURCES: readonly CatalogSource[] = [
  {
    provider: 'aws',
    families: ['g5', 'g6', 'g6e', 'p3'],
    url: 'https://aws.amazon.com/ec2/pricing/on-demand/',
    asOf: '2026-11-28',
    note: 'on-demand list prices as published through 2025 (g5.xlarge re-checked 2026-06-17); spot = typical discount, estimate',
  },
  {
    provider: 'aws',
    families: ['p4d', 'p5', 'ml.p4d', 'ml.p5'],
    url: 'https://aws.amazon.com/ec2/pricing/on-demand/',
    asOf: '2026-11-28',
    note: 'ESTIMATE: pre-June-2025 list price with the announced 33 % (P4) / 44 % (P5) cut applied; ml.* = EC2 x 1.25',
  },
  {
    provider: 'aws',
    families: ['ml.g5'],
    url: 'https://aws.amazon.com/sagemaker/pricing/',
    asOf: '2026-11-28',
    note: 'real-time inference list prices as published through 2025; spot figure = managed spot training estimate',
  },
  {
    provider: 'aws',
    families: ['ml.g6', 'ml.g6e'],
    url: 'https://aws.amazon.com/sagemaker/pricing/',
    asOf: '2026-11-28',
    note: 'ESTIMATE: EC2 price x 1.25',
  },
];
