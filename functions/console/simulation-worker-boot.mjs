// Runs the simulation worker from its TypeScript source (vitest, `npm run tide`): the worker thread has no
// TypeScript loader of its own, so tsx's loader compiles the entry here. The built CLI (dist/) starts the
// bundled worker instead and never loads this file (tsx is a development dependency).
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
