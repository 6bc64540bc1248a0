import { describe, expect, it } from 'vitest';
import { InsufficientCapacityError, ThrottledError } from '../../../adapters/ports/actuator.ts';
import { SimulatedCloud } from '../../../adapters/fake-cloud/cloud.ts';
import { RecordingActuator } from '../../../adapters/fake-cloud/recording-actuator.ts';

describe('RecordingActuator', () => {
  it('records every call in order', async () => {
    const fake = new RecordingActuator();
    await fake.setCapacity({ poolId: 'primary', desired: 3 });
    const ids = await fake.launchCapacity({
      poolId: 'od',
      instanceType: 'ml.g5.2xlarge',
      capacityType: 'on-demand',
      count: 2,
    });
    await fake.requestCheckpoint({ jobId: 'job-1', instanceIds: ['i-1'], deadlineAt: 10 });
    expect(ids).toEqual(['fake-1', 'fake-2']);
    expect(fake.calls.map((call) => call.method)).toEqual(['setCapacity', 'launchCapacity', 'requestCheckpoint']);
    expect(fake.callsOf('setCapacity')[0]!.request).toEqual({ poolId: 'primary', desired: 3 });
  });

  it.each([
    { label: 'any method', method: 'any' as const, first: 'setCapacity' as const },
    { label: 'one method', method: 'launchCapacity' as const, first: 'launchCapacity' as const },
  ])('fails the next call of $label once, with the given error', async ({ method }) => {
    const fake = new RecordingActuator().failNext(
      new InsufficientCapacityError('od', 'ml.g5.2xlarge', 'on-demand', 'InsufficientInstanceCapacity'),
      method,
    );
    const launch = () =>
      fake.launchCapacity({ poolId: 'od', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand', count: 1 });
    await expect(launch()).rejects.toBeInstanceOf(InsufficientCapacityError);
    await expect(launch()).resolves.toHaveLength(1);
  });

  it('returns the snapshot it was given, and forwards to an inner actuator', async () => {
    const snapshot = {
      observedAt: 5,
      pools: [
        {
          poolId: 'primary',
          instanceType: 'ml.g5.2xlarge',
          capacityType: 'on-demand' as const,
          desired: 1,
          ready: 1,
          pending: 0,
        },
      ],
    };
    expect(await new RecordingActuator().observe(snapshot).readCapacity('llm')).toEqual(snapshot);
    const cloud = new SimulatedCloud({
      targetId: 'llm',
      pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand' }],
      startAt: 0,
      seed: 1,
    });
    const wrapped = new RecordingActuator(cloud);
    await wrapped.setCapacity({ poolId: 'primary', desired: 2 });
    expect(cloud.totalDesired()).toBe(2);
    await expect(wrapped.failNext(new ThrottledError('slow down')).readCapacity('llm')).rejects.toThrow('slow down');
  });
});
