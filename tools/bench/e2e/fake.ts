/**
 * The cloud of a `npm run bench:e2e` mode, run in a child process of its own (the default, for every cloud)
 * or in the bench's process (`--fake-in-process`). Apart, the bench's process runs only the handler, Tide and
 * the SDK, as a function would, and the cloud's CPU (HTTP parsing, the models, every request recorded) is
 * counted apart as `cpuMsPerEvent.fake`, beside Redis's; in-process it counts in the bench's own figure.
 * Each cloud's fake (./aws-fake.ts, ./gcp-fake.ts, ./azure-fake.ts) steps its own time as it answers, so no
 * message per event is needed to move it.
 */
import { execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchFake, FakeCloud, RunningFake } from './types.ts';

/** Start the cloud's fake: in this process, or (the default) in a child. */
export async function startFake(cloud: FakeCloud, inProcess = false): Promise<RunningFake> {
  if (inProcess) {
    const fake = await FAKES[cloud]();
    return {
      url: fake.url,
      ...(fake.ca ? { ca: fake.ca } : {}),
      stats: async () => ({ reads: fake.reads(), writes: fake.writes(), cpuUs: null }),
      close: () => fake.close(),
    };
  }
  // The child inherits this process's loader flags (tsx), so it runs the TypeScript source as this one does.
  const child = fork(join(import.meta.dirname, 'fake-process.ts'), [cloud], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ url: string; ca?: string }>((resolve, reject) => {
    child.once('message', (m: { url: string; ca?: string }) => resolve(m));
    child.once('exit', (code) => reject(new Error(`the fake ${cloud} process exited with ${code}`)));
  });
  type Stats = { reads: number; writes: number; cpuUs: number };
  let id = 0;
  const waiting = new Map<number, (m: Stats) => void>();
  child.on('message', (m: Stats & { id?: number }) => {
    if (m.id === undefined) return;
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  return {
    url: ready.url,
    ...(ready.ca ? { ca: ready.ca } : {}),
    stats: () =>
      new Promise<Stats>((resolve) => {
        const n = id++;
        waiting.set(n, resolve);
        child.send({ op: 'stats', id: n });
      }),
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ op: 'close' });
      await exited;
    },
  };
}

const FAKES: Record<FakeCloud, () => Promise<BenchFake>> = {
  aws: async () => (await import('./aws-fake.ts')).startBenchAws(),
  gcp: async () => (await import('./gcp-fake.ts')).startBenchGcp(),
  azure: async () => (await import('./azure-fake.ts')).startBenchAzure(),
};

/** Run the fake named by argv[2] in this process and answer the parent (./fake-process.ts). */
export async function serveFake(cloud: FakeCloud): Promise<void> {
  const fake = await FAKES[cloud]();
  process.on('message', (message: { op: 'stats'; id: number } | { op: 'close' }) => {
    if (message.op === 'stats') {
      const cpu = process.cpuUsage();
      process.send?.({ id: message.id, reads: fake.reads(), writes: fake.writes(), cpuUs: cpu.user + cpu.system });
    } else void fake.close().then(() => process.exit(0));
  });
  // The bench ended without closing it (it failed): end too, not linger as an orphan.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ url: fake.url, ...(fake.ca ? { ca: fake.ca } : {}) });
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  } catch {
    return 100;
  }
})();

/** CPU µs a process has used so far (user + system, from /proc), or null without /proc. */
export function cpuUsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1e6;
  } catch {
    return null;
  }
}
