import { describe, expect, it } from 'vitest';
import { RecordingActuator } from '../../../adapters/fake-cloud/recording-actuator.ts';
import { actuatorAtFirstCall } from '../../../adapters/ports/lazy-actuator.ts';

describe('actuatorAtFirstCall', () => {
  it('makes nothing until the first call, then makes the actuator once and forwards every call to it', async () => {
    const inner = new RecordingActuator().observe({ observedAt: 5, pools: [] });
    let loads = 0;
    const port = actuatorAtFirstCall(async () => {
      loads += 1;
      return inner;
    });
    expect(loads).toBe(0);
    expect(await port.readCapacity('t1')).toEqual({ observedAt: 5, pools: [] });
    await port.setCapacity({ poolId: 'p', desired: 3 });
    await port.changeInstanceType({ poolId: 'p', toInstanceType: 'g5.xlarge' } as never);
    expect(await port.launchCapacity({ poolId: 'p', count: 1, capacityType: 'spot' } as never)).toEqual(['fake-1']);
    await port.drainAndRelease({ poolId: 'p', nodeId: 'n1' } as never);
    await port.requestCheckpoint({ targetId: 't1', instanceIds: ['n1'], deadlineAt: 9 } as never);
    expect(loads).toBe(1);
    expect(inner.calls.map((call) => call.method)).toEqual([
      'readCapacity',
      'setCapacity',
      'changeInstanceType',
      'launchCapacity',
      'drainAndRelease',
      'requestCheckpoint',
    ]);
    expect(port.recorded).toBeUndefined();
  });

  it("rejects a call with the load's error, and the next call loads again", async () => {
    let loads = 0;
    const port = actuatorAtFirstCall(async () => {
      loads += 1;
      if (loads === 1) throw new Error('chunk not found');
      return new RecordingActuator();
    });
    await expect(port.setCapacity({ poolId: 'p', desired: 1 })).rejects.toThrow('chunk not found');
    await port.setCapacity({ poolId: 'p', desired: 1 });
    expect(loads).toBe(2);
  });
});
