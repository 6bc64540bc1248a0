import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private `redis-server` for one test file: a free port on 127.0.0.1, no persistence configured, its own
 * directory. Never touches the Redis on 6379. `stop()` saves the data set and exits (`SHUTDOWN SAVE`), so
 * `start()` brings it back with everything it held, as a restarted production Redis with persistence
 * would; `pause()`/`resume()` freeze it (SIGSTOP/SIGCONT) to play a Redis that is up but does not answer.
 */
export interface RedisServer {
  port: number;
  url: string;
  readonly running: boolean;
  /** The server process's id while it runs (benches read its CPU time). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Kill it and remove its directory. */
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Send one inline command and resolve with the first reply line (enough for PING and SHUTDOWN). */
function inline(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) {
        socket.end();
        resolve(reply.split('\r\n')[0]!);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(reply.split('\r\n')[0] ?? ''));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tide-redis-'));
  let child: ChildProcess | null = null;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--dbfilename',
      'dump.rdb',
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
    ];
    const spawned = spawn('redis-server', args, { stdio: 'ignore' });
    child = spawned;
    spawned.once('exit', () => {
      if (child === spawned) child = null;
    });
    for (let i = 0; i < 250; i++) {
      if (!child) throw new Error(`redis-server on port ${port} exited at start`);
      if ((await inline(port, 'PING').catch(() => '')) === '+PONG') return;
      await sleep(20);
    }
    throw new Error(`redis-server on port ${port} did not answer PING within 5 s`);
  };

  const waitExit = (proc: ChildProcess) =>
    new Promise<void>((resolve) =>
      proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve()),
    );

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== null;
    },
    get pid() {
      return child?.pid;
    },
    start,
    async stop() {
      const proc = child;
      if (!proc) return;
      await inline(port, 'SHUTDOWN SAVE').catch(() => '');
      await waitExit(proc);
    },
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async close() {
      const proc = child;
      if (proc) {
        proc.kill('SIGCONT');
        proc.kill('SIGKILL');
        await waitExit(proc);
      }
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
