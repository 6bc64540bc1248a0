import type { Autoscaler } from '../autoscaler.ts';

/**
 * Static provisioning for the peak: the endpoint is sized once, before the run, for the busiest minute of
 * the workload at the same per-replica target as the autoscalers, and never changes. It starts with that
 * capacity ready (the engine's `initialReplicas`), so `step` does nothing.
 */
export function staticPeak(): Autoscaler {
  return { name: 'static-peak', step: () => undefined };
}
