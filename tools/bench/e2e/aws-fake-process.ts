/**
 * The fake AWS of `npm run bench:e2e -- --cloud aws` (./aws-fake.ts) in a process of its own (the default),
 * so the bench's process runs only the handler, Tide and the SDK, as a Lambda would, and the cloud's CPU is
 * counted apart. Forked by ./aws.ts with the endpoints to serve (argv[2], JSON); over the IPC channel,
 * `{ op: 'stats', id }` answers with the requests served, the scale calls among them and its CPU time so far.
 */
import { startBenchAws, type BenchEndpoint } from './aws-fake.ts';

const aws = await startBenchAws(JSON.parse(process.argv[2] ?? '[]') as BenchEndpoint[]);

process.on('message', (message: { op: 'stats'; id: number } | { op: 'close' }) => {
  if (message.op === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({ id: message.id, requests: aws.requests(), actions: aws.actions(), cpuUs: cpu.user + cpu.system });
  } else void aws.close().then(() => process.exit(0));
});
process.send?.({ url: aws.url });
