import { describe, expect, it } from 'vitest';
import { WORKLOADS } from '../../simulator/workloads.ts';

describe('the bundled workloads', () => {
  it.each(WORKLOADS.map((workload) => [workload.name, workload] as const))(
    '%s loads its requests',
    async (_, workload) => {
      const trace = await workload.load(1);
      expect(trace.requests.length).toBeGreaterThan(1000);
    },
  );
});
