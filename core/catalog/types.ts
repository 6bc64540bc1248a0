/** One GPU instance type with its list prices in one reference region. */
export interface InstanceTypeInfo {
  /** Provider name, e.g. `g5.xlarge`, `ml.g5.xlarge`, `g2-standard-8`, `Standard_NC24ads_A100_v4`. */
  name: string;
  provider: 'aws' | 'gcp' | 'azure';
  /** Family the size ladder moves within, e.g. `g5`, `ml.g5`, `a2-highgpu`, `NCads_A100_v4`. */
  family: string;
  /** GPUs per instance. */
  gpus: number;
  /** GPU model, e.g. `A10G`, `L4`, `L40S`, `A100`, `H100`, `V100`. */
  gpuModel: string;
  /** Memory of ONE GPU, GiB. */
  gpuMemoryGiB: number;
  vcpus: number;
  /** Host memory, GiB. */
  memoryGiB: number;
  /** On-demand (pay-as-you-go) list price, USD per instance-hour, Linux. */
  onDemandUsdPerHour: number;
  /** A typical spot price, USD per instance-hour (spot prices move; see the data files for how it was set). */
  spotUsdPerHour: number;
  /** Reference region the prices are for: us-east-1, us-central1 or eastus. */
  region: string;
}

/** A user's addition or correction: `name` plus any fields to set; a new name needs every field. */
export type InstanceTypeOverride = Partial<InstanceTypeInfo> & { name: string };

/** Where the figures of one block of the catalog came from. */
export interface CatalogSource {
  provider: InstanceTypeInfo['provider'];
  families: string[];
  /** Public page the figures are from. */
  url: string;
  /** When the figures were taken or checked (YYYY-MM-DD). */
  asOf: string;
  /** What is exact and what is an estimate. */
  note: string;
}
