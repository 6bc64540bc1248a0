/**
 * A cloud's fake for `npm run bench:e2e` in a process of its own, forked by ./fake.ts with the cloud's name
 * (argv[2]); over the IPC channel, `{ op: 'stats', id }` answers with the reads and writes served and its CPU
 * time so far, `{ op: 'close' }` ends it.
 */
import { serveFake } from './fake.ts';
import type { FakeCloud } from './types.ts';

await serveFake(process.argv[2] as FakeCloud);
