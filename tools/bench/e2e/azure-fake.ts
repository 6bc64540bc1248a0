/**
 * The cloud of `npm run bench:e2e -- --cloud azure`: test/support/azure-fake.ts (HTTPS ARM) with one scale
 * set per target. The cloud's time steps before each request is answered: an operation Tide started is done
 * by the next request, in whichever process the fake runs.
 */
import { startAzureFake } from '../../../test/support/azure-fake.ts';
import { makeTestPki } from '../../../test/support/tls.ts';
import { TARGETS } from './workload.ts';
import type { BenchFake } from './types.ts';

export async function startBenchAzure(): Promise<BenchFake> {
  let writes = 0;
  const fake = await startAzureFake(makeTestPki(), {
    beforeAnswer: (request) => {
      if (request.method !== 'GET') writes++;
      fake.advance();
    },
  });
  for (let i = 0; i < TARGETS; i++)
    fake.addScaleSet({ name: `vmss-${i}`, sku: 'Standard_NC24ads_A100_v4', capacity: 2 });
  return {
    url: fake.url,
    ca: fake.ca,
    reads: () => fake.requests.length - writes,
    writes: () => writes,
    close: () => fake.close(),
  };
}
