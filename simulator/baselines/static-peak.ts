import type { Autoscaler } from '../autoscaler.ts';

/**
 * Static provisioning for the peak: the endpoint is sized once, before the run, for the busiest minute of
 * the workload at the same per-replica target as the autoscalers, and never changes. It starts with that
 * capacity ready (the engine's `initialReplicas`), so `step` does nothing.
 */
export function staticPeak(): Autoscaler {
  return { name: 'static-peak', step: () => undefined };
}

/**
 * A constant `replicas` for the whole run (started ready, never changed): one point of the cost/SLO
 * frontier of constant capacity that `tide simulate --frontier` draws, to show what a workload allows.
 */
export function fixedCapacity(replicas: number): Autoscaler {
  return { name: `fixed-${replicas}`, step: () => undefined };
}
