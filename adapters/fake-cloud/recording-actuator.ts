import type { ObservedCapacity } from '../../core/schema/target.ts';
import type {
  ActuatorPort,
  ChangeInstanceTypeRequest,
  CheckpointRequest,
  DrainAndReleaseRequest,
  LaunchCapacityRequest,
  SetCapacityRequest,
} from '../ports/actuator.ts';

/** One call the recording actuator received. */
export type RecordedCall =
  | { method: 'readCapacity'; targetId: string }
  | { method: 'setCapacity'; request: SetCapacityRequest }
  | { method: 'changeInstanceType'; request: ChangeInstanceTypeRequest }
  | { method: 'launchCapacity'; request: LaunchCapacityRequest }
  | { method: 'drainAndRelease'; request: DrainAndReleaseRequest }
  | { method: 'requestCheckpoint'; request: CheckpointRequest };

/**
 * A recording fake of the actuator port, in the manner of Karpenter's fake cloud provider: it keeps every
 * call it got, can be told to fail the next call (or the next call of one method) with a given error, and
 * forwards to an inner actuator (e.g. a {@link SimulatedCloud}) when one is given. Without an inner one,
 * `readCapacity` returns the snapshot set with {@link RecordingActuator.observe} and launches return ids
 * `fake-1`, `fake-2`, ….
 */
export class RecordingActuator implements ActuatorPort {
  readonly calls: RecordedCall[] = [];
  private readonly failures: Array<{ method: RecordedCall['method'] | 'any'; error: Error }> = [];
  private snapshot: ObservedCapacity = { observedAt: 0, pools: [] };
  private launched = 0;

  constructor(private readonly inner?: ActuatorPort) {}

  /** Make the next call (of `method`, or of any method) throw `error` instead of acting. */
  failNext(error: Error, method: RecordedCall['method'] | 'any' = 'any'): this {
    this.failures.push({ method, error });
    return this;
  }

  /** What `readCapacity` returns when there is no inner actuator. */
  observe(snapshot: ObservedCapacity): this {
    this.snapshot = snapshot;
    return this;
  }

  /** The calls of one method, in order. */
  callsOf<M extends RecordedCall['method']>(method: M): Extract<RecordedCall, { method: M }>[] {
    return this.calls.filter((call): call is Extract<RecordedCall, { method: M }> => call.method === method);
  }

  async readCapacity(targetId: string): Promise<ObservedCapacity> {
    this.record({ method: 'readCapacity', targetId });
    return this.inner ? this.inner.readCapacity(targetId) : structuredClone(this.snapshot);
  }

  async setCapacity(request: SetCapacityRequest): Promise<void> {
    this.record({ method: 'setCapacity', request });
    await this.inner?.setCapacity(request);
  }

  async changeInstanceType(request: ChangeInstanceTypeRequest): Promise<void> {
    this.record({ method: 'changeInstanceType', request });
    await this.inner?.changeInstanceType(request);
  }

  async launchCapacity(request: LaunchCapacityRequest): Promise<string[]> {
    this.record({ method: 'launchCapacity', request });
    if (this.inner) return this.inner.launchCapacity(request);
    return Array.from({ length: request.count }, () => `fake-${++this.launched}`);
  }

  async drainAndRelease(request: DrainAndReleaseRequest): Promise<void> {
    this.record({ method: 'drainAndRelease', request });
    await this.inner?.drainAndRelease(request);
  }

  async requestCheckpoint(request: CheckpointRequest): Promise<void> {
    this.record({ method: 'requestCheckpoint', request });
    await this.inner?.requestCheckpoint(request);
  }

  private record(call: RecordedCall): void {
    this.calls.push(call);
    const index = this.failures.findIndex((failure) => failure.method === 'any' || failure.method === call.method);
    if (index >= 0) throw this.failures.splice(index, 1)[0]!.error;
  }
}
