/**
 * A scale set's observation, shared for a short, bounded time (through the process's shared reads:
 * ../shared-reads.ts). Observing a scale set is two ARM reads: the scale set (capacity, sku, states: small) and
 * its instances with their instance views (one entry per VM: with 64 VMs about 40 times the bytes, and most of
 * the CPU an observation costs, in the SDK's deserializers and in TLS).
 * - The scale set read is shared for `scaleSetMaxAgeMs` (default 1 s, never more than the list's bound) while
 *   it shows the scale set at rest (provisioning state Succeeded), as AWS shares a steady endpoint: one that is
 *   updating is read again, so later decisions see its progress.
 * - Its instance list is read again unless one was read for the same scale set less than `maxAgeMs` ago
 *   (default 1 s) AND the scale set read this observation uses still shows the same capacity, sku, provisioning
 *   state and etag as the one the list was read with (the shared read's validity check).
 *
 * Why this is safe:
 * - Tide's own changes are seen at once: every write this process makes to a scale set (capacity, sku,
 *   deleteInstances) forgets both entries, so does the end of an operation of Tide's on it (seen by the tick's poll,
 *   whichever instance started it), and a change by anyone else to the scale set resource itself (capacity,
 *   sku, an update in progress) fails the comparison with the fresh read. ARM's etag is per resource: a change to
 *   another scale set leaves this one's list shared.
 * - What the reuse can miss is an instance's own state moving within that second (a boot finishing, a spot
 *   eviction): the same view a delivery gets that arrived up to a second earlier, which any delivery racing
 *   the cloud already risks; VM boots and evictions take tens of seconds to minutes, and the 30-s eviction
 *   notice comes as its own event. The observation's `observedAt` stays the read's time for the capacity.
 * - Reads already in flight are shared (single flight): concurrent deliveries for one scale set make one
 *   list request, each as fresh as its own would have been. A failed read is never kept.
 *
 * Where it pays: bursts of deliveries for one target (an Event Grid batch, several alert rules firing
 * together, an action group's retries). One alert a minute per target meets no entry at all.
 */

/** The scale set fields an instance list is valid for. */
export interface ScaleSetSignature {
  capacity: number;
  sku: string;
  provisioningState: string;
  etag: string;
}

export const DEFAULT_INSTANCE_LIST_MAX_AGE_MS = 1_000;

/** The shared-read key of a scale set's own read (virtualMachineScaleSets.get). */
export const scaleSetKey = (resource: string): string => `azure-scale-set:${resource}`;

/** The shared-read key of a scale set's instance list. */
export const instanceListKey = (resource: string): string => `azure-instances:${resource}`;

export function sameSignature(a: ScaleSetSignature, b: ScaleSetSignature): boolean {
  return (
    a.capacity === b.capacity && a.sku === b.sku && a.provisioningState === b.provisioningState && a.etag === b.etag
  );
}
