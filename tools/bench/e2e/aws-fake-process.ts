/**
 * The wire-level fake AWS of `npm run bench:e2e -- --cloud aws` in a process of its own (the default), so the
 * bench's process runs only Tide and the SDK, as a Lambda would, and the cloud's CPU is counted apart. Forked
 * by ./aws.ts with the endpoints to serve (argv[2], JSON); it answers over the IPC channel:
 * `{ op: 'advance' }` steps the cloud's time (no answer), `{ op: 'stats', id }` answers with the requests
 * served, the scale calls among them and its CPU time so far.
 */
import { startFakeAws } from '../../../test/support/aws/index.ts';

const endpoints = JSON.parse(process.argv[2] ?? '[]') as {
  name: string;
  variant: string;
  type: string;
  count: number;
}[];
const aws = await startFakeAws();
for (const e of endpoints) aws.sagemaker.addEndpoint(e.name, e.variant, e.type, e.count);

process.on('message', (message: { op: 'advance' } | { op: 'stats'; id: number } | { op: 'close' }) => {
  if (message.op === 'advance') aws.advance();
  else if (message.op === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({
      id: message.id,
      requests: aws.server.requests.length,
      actions: aws.server.calls('sagemaker', 'UpdateEndpointWeightsAndCapacities').length,
      cpuUs: cpu.user + cpu.system,
    });
  } else void aws.close().then(() => process.exit(0));
});
process.send?.({ url: aws.server.url });
