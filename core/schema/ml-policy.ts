/**
 * Policy fields for the ML decisions (scale-up to bigger GPUs, spot replacement, training pools, spend caps).
 * Spread into the policy object in policy.ts so one schema covers everything.
 */
export const MlPolicyShape = {};
