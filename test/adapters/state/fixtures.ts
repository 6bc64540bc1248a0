import { emptyMemory, type Memory } from '../../../core/schema/memory.ts';
import { PolicySchema, type Policy, type PolicyInput } from '../../../core/schema/policy.ts';
import { TargetSchema, type Target } from '../../../core/schema/target.ts';
import type { Action } from '../../../core/decision.ts';
import type { CommitRequest, RecordedDecision, SignalSummary } from '../../../adapters/ports/state-store.ts';

export function testTarget(id = 'llm-endpoint'): Target {
  return TargetSchema.parse({
    id,
    kind: 'inference-endpoint',
    provider: 'aws',
    region: 'us-east-1',
    pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand' }],
  });
}

export function testPolicy(overrides: PolicyInput = {}): Policy {
  return PolicySchema.parse(overrides);
}

export const scaleOut = (from: number, to: number): Action => ({
  type: 'set-capacity',
  poolId: 'primary',
  from,
  to,
  reason: `test: ${from} -> ${to}`,
});

export function recordedDecision(
  eventId: string,
  version: number,
  actions: Action[] = [],
  at = 1_000,
): RecordedDecision {
  return {
    targetId: 'llm-endpoint',
    at,
    outcome: actions.length ? 'scale-out' : 'hold',
    valid: true,
    currentCapacity: 2,
    desiredCapacity: 2,
    actions,
    holds: [],
    reasons: [`decided ${eventId}`],
    eventId,
    version,
  };
}

export const signalSummary = (at = 1_000): SignalSummary => ({
  kind: 'metric',
  source: 'test',
  observedAt: at,
  detail: 'gpu_utilization = 50',
});

export interface CommitOptions {
  eventId: string;
  expectedVersion: number;
  owner?: string;
  now?: number;
  leaseUntil?: number | null;
  actions?: Action[];
  memory?: Memory;
}

/** A commit of a decision; with `leaseUntil` (or actions) it opens an outbox. */
export function commitRequest(options: CommitOptions): CommitRequest {
  const now = options.now ?? 1_000;
  const actions = options.actions ?? (options.leaseUntil ? [scaleOut(2, 3)] : []);
  return {
    eventId: options.eventId,
    owner: options.owner ?? `owner-of-${options.eventId}`,
    now,
    expectedVersion: options.expectedVersion,
    memory: options.memory ?? { ...emptyMemory(), lastDecisionAt: now },
    decision: recordedDecision(options.eventId, options.expectedVersion + 1, actions, now),
    signal: signalSummary(now),
    leaseUntil: options.leaseUntil ?? null,
  };
}
