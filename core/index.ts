/** The decision core: pure, deterministic, no I/O, no clock, no randomness. Its entry point is `decide`. */
export { decide, DECIDE_STEP_NAMES, DECIDE_STEPS, type DecideContext, type DecideStep } from './decide.ts';
export * from './schema/common.ts';
export * from './schema/signal.ts';
export * from './schema/target.ts';
export * from './schema/plan.ts';
export * from './schema/trigger.ts';
export * from './schema/policy.ts';
export * from './schema/memory.ts';
export * from './schema/input.ts';
export * from './decision.ts';
export * from './errors.ts';
export * from './triggers/index.ts';
