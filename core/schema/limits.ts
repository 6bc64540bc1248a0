/**
 * How much of each thing a document may hold. Every list and map a user or a provider fills is bounded here
 * and the schemas enforce it, so the work of one decision is bounded too (decide is linear in pools: see
 * `npm run bench -- --json`, poolScaling). Generous for real fleets; a document past one is refused with the
 * field and the count.
 */
export const LIMITS = {
  /** Capacity pools of a target, and pools in an observed snapshot. */
  pools: 1000,
  /** Nodes reported in one observed pool. */
  nodesPerPool: 5000,
  /** Scheduled plans of a policy. */
  plans: 32,
  /** Triggers of a policy. */
  triggers: 64,
  /** Named calendars of a policy, and dates in each (or in a plan's own excludeDates). */
  calendars: 32,
  datesPerCalendar: 2000,
  /** Calendars one plan names. */
  calendarsPerPlan: 16,
  /** Target-tracking rules, step-scaling policies, and steps in each. */
  targetTracking: 16,
  stepScaling: 16,
  steps: 32,
  /** Rate-limit rules per direction. */
  rateLimits: 8,
  /** Instance catalog entries a policy adds or corrects, and types in an explicit scale-up ladder. */
  instanceTypes: 256,
  ladder: 64,
  /** Datapoints an alarm signal carries, instance ids a job signal names, keys in a dimensions map. */
  datapoints: 1000,
  instanceIds: 5000,
  dimensions: 64,
} as const;
