/**
 * The cloud of `npm run bench:e2e -- --cloud gcp`: test/support/gcp-fake.ts with one managed instance group
 * per target. The cloud's time steps before each request is answered: a resize's instances are running by the
 * next read, in whichever process the fake runs.
 */
import { startGcpFake } from '../../../test/support/gcp-fake.ts';
import { TARGETS } from './workload.ts';
import type { BenchFake } from './types.ts';

/** Compute's list calls and operation waits are POSTs that only read. */
const READ_POST = /\/(listManagedInstances|listErrors|listPerInstanceConfigs|wait)$/;

export async function startBenchGcp(): Promise<BenchFake> {
  let writes = 0;
  const fake = await startGcpFake({
    beforeAnswer: (request) => {
      if (request.method !== 'GET' && !READ_POST.test(request.path)) writes++;
      fake.advance();
    },
  });
  for (let i = 0; i < TARGETS; i++)
    fake.addMig({
      project: 'bench',
      scope: 'zones/us-central1-a',
      name: `mig-${i}`,
      targetSize: 2,
      instanceTemplate: 'projects/bench/global/instanceTemplates/g2',
      machineType: 'g2-standard-8',
      running: 2,
    });
  return { url: fake.url, reads: () => fake.requests.length - writes, writes: () => writes, close: () => fake.close() };
}
