import type { CapacityType } from './schema/target.ts';
import type { Memory } from './schema/memory.ts';

/** Set a pool's desired count (scale out or in). */
export interface SetCapacityAction {
  type: 'set-capacity';
  poolId: string;
  from: number;
  to: number;
  reason: string;
}

/** Move a pool to another instance type, rolling: new capacity is ready before old is released. */
export interface ChangeInstanceTypeAction {
  type: 'change-instance-type';
  poolId: string;
  fromInstanceType: string;
  toInstanceType: string;
  /** Replicas or nodes of the new type to bring up. */
  count: number;
  reason: string;
}

/** Launch capacity in a pool (spot replacement, on-demand fallback). */
export interface LaunchCapacityAction {
  type: 'launch-capacity';
  poolId: string;
  instanceType: string;
  capacityType: CapacityType;
  count: number;
  /** The interrupted instance this replaces, if any. */
  replacesInstanceId?: string;
  reason: string;
}

/** Drain a node and release it (after a checkpoint, or when idle). */
export interface DrainAndReleaseAction {
  type: 'drain-and-release';
  poolId: string;
  instanceId: string;
  reason: string;
}

/** Ask a training job to write a checkpoint before `deadlineAt`. */
export interface RequestCheckpointAction {
  type: 'request-checkpoint';
  jobId: string;
  instanceIds: string[];
  deadlineAt: number;
  reason: string;
}

export type Action =
  | SetCapacityAction
  | ChangeInstanceTypeAction
  | LaunchCapacityAction
  | DrainAndReleaseAction
  | RequestCheckpointAction;

/** Why something that could have happened did not. */
export type HoldRule =
  | 'stabilization'
  | 'rate-limit'
  | 'cooldown'
  | 'burst'
  | 'bounds'
  | 'missing-metrics'
  | 'stale-data'
  | 'no-signal'
  | 'override'
  | 'disabled'
  | 'spend-cap'
  | 'deadline-slack'
  | 'unsupported'
  | 'forecast';

export interface Hold {
  rule: HoldRule;
  reason: string;
}

/** Estimated spend, dollars per hour, before and after the decision's actions. */
export interface CostEstimate {
  beforeUsdPerHour: number;
  afterUsdPerHour: number;
}

/** What `decide` returns: the actions, the new memory, and the reasons for every action and hold. */
export interface Decision {
  targetId: string;
  /** The `now` the decision was made for (epoch ms). */
  at: number;
  /** Derived from the actions: what kind of change this is. */
  outcome: 'scale-out' | 'scale-in' | 'scale-up' | 'scale-down' | 'replace' | 'checkpoint' | 'hold';
  /** False when the inputs were missing or stale and the core held for that reason. */
  valid: boolean;
  /** Total desired capacity before, replicas or nodes. */
  currentCapacity: number;
  /** Total desired capacity after. */
  desiredCapacity: number;
  actions: Action[];
  holds: Hold[];
  /** Every step of the reasoning, in order, in words a person can read. */
  reasons: string[];
  memory: Memory;
  cost?: CostEstimate;
}
