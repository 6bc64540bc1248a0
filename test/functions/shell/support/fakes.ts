import type { Decision } from '../../../../core/decision.ts';
import type { DecisionInput } from '../../../../core/schema/input.ts';
import { emptyMemory } from '../../../../core/schema/memory.ts';
import type { Signal } from '../../../../core/schema/signal.ts';
import type { ObservedCapacity, Target } from '../../../../core/schema/target.ts';
import type { RecordedDecision } from '../../../../adapters/ports/state-store.ts';
import type { Logger } from '../../../../adapters/ports/logger.ts';

/**
 * A small deterministic decide for the shell's tests: memory keeps every signal folded in (as
 * `samples.seen`, [observedAt, value]) and a running capacity (`recommendations`); a metric at or above 80
 * scales out by one, at or below 20 scales in by one. Order-sensitive on purpose: a lost update or a
 * double apply shows up in the final memory.
 */
export function foldingDecide(input: DecisionInput): Decision {
  const memory = input.memory ?? emptyMemory();
  const value = input.signal.kind === 'metric' ? input.signal.value : 0;
  const current = memory.recommendations.at(-1)?.[1] ?? 2;
  const desired = value >= 80 ? current + 1 : value <= 20 && value > 0 && current > 1 ? current - 1 : current;
  const actions: Decision['actions'] =
    desired === current
      ? []
      : [{ type: 'set-capacity', poolId: 'primary', from: current, to: desired, reason: `metric ${value}` }];
  return {
    targetId: input.target.id,
    at: input.now,
    outcome: desired > current ? 'scale-out' : desired < current ? 'scale-in' : 'hold',
    valid: true,
    currentCapacity: current,
    desiredCapacity: desired,
    actions,
    holds: [],
    reasons: [`folded ${input.signal.eventId ?? 'an event'}`],
    memory: {
      ...memory,
      samples: { ...memory.samples, seen: [...(memory.samples.seen ?? []), [input.signal.observedAt, value]] },
      recommendations: [...memory.recommendations, [input.signal.observedAt, desired]],
      lastDecisionAt: input.now,
    },
  };
}

export function metricSignal(eventId: string | undefined, value: number, observedAt: number): Signal {
  return {
    kind: 'metric',
    metric: 'gpu_utilization',
    value,
    observedAt,
    source: 'test',
    ...(eventId ? { eventId } : {}),
  };
}

export function observedFor(target: Target, desired = 2, observedAt = 0): ObservedCapacity {
  const pool = target.pools[0]!;
  return {
    observedAt,
    pools: [
      {
        poolId: pool.id,
        instanceType: pool.instanceType,
        capacityType: pool.capacityType,
        desired,
        ready: desired,
        pending: 0,
      },
    ],
  };
}

/** A recording actuator: every call kept; `failNext` and `hangNext` script the next call. */
export class RecordingActuator {
  readonly calls: { targetId: string; decision: RecordedDecision; at: number }[] = [];
  private failures: Error[] = [];
  private hangs = 0;
  readonly hanging: (() => void)[] = [];

  act = async (target: Target, decision: RecordedDecision): Promise<void> => {
    this.calls.push({ targetId: target.id, decision, at: Date.now() });
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (this.hangs > 0) {
      this.hangs -= 1;
      await new Promise<void>((resolve) => this.hanging.push(resolve));
    }
  };

  failNext(error: Error): void {
    this.failures.push(error);
  }

  /** The next call never returns until `hanging[i]()` is called (a process that died mid-act, if never). */
  hangNext(): void {
    this.hangs += 1;
  }

  eventIds(): string[] {
    return this.calls.map((call) => call.decision.eventId);
  }
}

export class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  info = (message: string, fields?: Record<string, unknown>) =>
    this.lines.push({ level: 'info', message, ...(fields ? { fields } : {}) });
  warn = (message: string, fields?: Record<string, unknown>) =>
    this.lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) });
  error = (message: string, fields?: Record<string, unknown>) =>
    this.lines.push({ level: 'error', message, ...(fields ? { fields } : {}) });
}
