import { describe, expect, it } from 'vitest';
import { copyMlState, MlStateSchema } from '../../../core/schema/ml-memory.ts';

// copyMlState lists the fields by hand (a literal of one shape, not a spread): a field added to the schema
// and not to it would be dropped from the memory of every training-pool decision.
describe('copyMlState', () => {
  const parsed = MlStateSchema.parse({
    jobs: {},
    spend: [[1, 2]],
    lostGpuHours: 3,
    noticed: [{ instanceId: 'i-1', poolId: 'spot-a', deadlineAt: 5 }],
    coverNeed: 4,
  });

  it('copies every field of the schema, in its order', () => {
    expect(Object.keys(copyMlState(parsed))).toEqual(Object.keys(MlStateSchema.shape));
  });

  it('is an equal, separate object', () => {
    const copy = copyMlState(parsed);
    expect(copy).toStrictEqual(parsed);
    copy.lostGpuHours = 4;
    expect(parsed.lostGpuHours).toBe(3);
  });

  it('leaves out the optional noticed replicas when there are none (a memory that never saw one is unchanged)', () => {
    expect(Object.keys(copyMlState(MlStateSchema.parse({})))).not.toContain('noticed');
  });

  it('leaves out the pool-loss cover need when there is none (a target without the cover is unchanged)', () => {
    expect(Object.keys(copyMlState(MlStateSchema.parse({})))).not.toContain('coverNeed');
  });
});
