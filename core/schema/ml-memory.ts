/**
 * Memory fields for the ML decisions (spot pool statistics, training jobs, spend). Spread into the memory
 * object in memory.ts; every field must have a default so older memory still parses.
 */
export const MlMemoryShape = {};
