/** Shadow mode: decide on real events, act on nothing (see infra/README.md). */
export { CapacityReconstruction } from './reconstruct.ts';
export {
  createShadowActuator,
  DEFAULT_SHADOW_OPTIONS,
  type ShadowActuator,
  type ShadowDependencies,
  type ShadowOptions,
} from './shadow-actuator.ts';
