import type { Decision } from '../../../../core/decision.ts';
import type { DecisionInput } from '../../../../core/schema/input.ts';
import { emptyMemory } from '../../../../core/schema/memory.ts';
import type { Signal } from '../../../../core/schema/signal.ts';
import type { ObservedCapacity, Target } from '../../../../core/schema/target.ts';
import type {
  ActuatorResolver,
  ChangeInstanceTypeRequest,
  CheckpointRequest,
  DrainAndReleaseRequest,
  LaunchCapacityRequest,
  SetCapacityRequest,
} from '../../../../adapters/ports/actuator.ts';
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

/** One write call the shell's recording actuator got. */
export interface ShellActuatorCall {
  targetId: string;
  method: 'setCapacity' | 'changeInstanceType' | 'launchCapacity' | 'drainAndRelease' | 'requestCheckpoint';
  request:
    | SetCapacityRequest
    | ChangeInstanceTypeRequest
    | LaunchCapacityRequest
    | DrainAndReleaseRequest
    | CheckpointRequest;
  /** The event whose decision made the call, from the request's idempotency key (`<eventId>:<index>`). */
  eventId: string;
  /** The action's index in its decision. */
  index: number;
  at: number;
}

/**
 * A recording actuator port for the shell's tests (Karpenter's fake cloud provider, per target): every write
 * call kept with the event it belongs to; `failNext` and `hangNext` script the next write call; reads
 * answer `observed(target)` (by default {@link observedFor}).
 */
export class RecordingActuator {
  readonly calls: ShellActuatorCall[] = [];
  private failures: Error[] = [];
  private hangs = 0;
  readonly hanging: (() => void)[] = [];
  /** What `readCapacity` answers; replace it to script reads (throw to fail them). */
  observed: (target: Target) => Promise<ObservedCapacity> = async (target) => observedFor(target);

  /** The resolver the shell takes (target -> port). */
  actuators: ActuatorResolver = (target) => {
    const record = async (method: ShellActuatorCall['method'], request: ShellActuatorCall['request']) => {
      const key = request.idempotencyKey ?? '';
      const split = key.lastIndexOf(':');
      this.calls.push({
        targetId: target.id,
        method,
        request,
        eventId: key.slice(0, split),
        index: Number(key.slice(split + 1)),
        at: Date.now(),
      });
      const failure = this.failures.shift();
      if (failure) throw failure;
      if (this.hangs > 0) {
        this.hangs -= 1;
        await new Promise<void>((resolve) => this.hanging.push(resolve));
      }
    };
    return {
      readCapacity: async () => this.observed(target),
      setCapacity: (request) => record('setCapacity', request),
      changeInstanceType: (request) => record('changeInstanceType', request),
      launchCapacity: async (request) => {
        await record('launchCapacity', request);
        return [];
      },
      drainAndRelease: (request) => record('drainAndRelease', request),
      requestCheckpoint: (request) => record('requestCheckpoint', request),
    };
  };

  failNext(error: Error): void {
    this.failures.push(error);
  }

  /** The next call never returns until `hanging[i]()` is called (a process that died mid-act, if never). */
  hangNext(): void {
    this.hangs += 1;
  }

  eventIds(): string[] {
    return this.calls.map((call) => call.eventId);
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
