/**
 * `tide serve` (bin/tide.js, the bundled CLI) as a child process on a free port, for tests that need the
 * real thing over HTTP: a browser, Prometheus scraping it, Alertmanager posting to it. Waits (bounded) for
 * its "listening on" line; `stop()` sends SIGTERM and waits (bounded), then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/tide.js', import.meta.url));

export interface TideServe {
  child: ChildProcess;
  url: string;
  port: number;
  /** The key `tide serve` made and printed at start (every scope), when it made one. */
  firstKey: string | undefined;
  stderr(): string;
  stop(): Promise<void>;
}

export async function startTideServe(
  args: string[],
  env: Record<string, string> = {},
  startTimeoutMs = 30_000,
  /** `only`: the child gets `env` and PATH, nothing of the test's own environment (as a user sets it). */
  inherit: 'all' | 'only' = 'all',
): Promise<TideServe> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
    env: inherit === 'all' ? { ...process.env, ...env } : { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`tide serve did not start within ${startTimeoutMs} ms: ${stderr}`)),
      startTimeoutMs,
    );
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
      const match = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tide serve exited (${code}): ${stderr}`));
    });
  });
  return {
    child,
    url,
    port: Number(new URL(url).port),
    firstKey: /\n\s+(tide_[a-f0-9]{16}_[A-Za-z0-9_-]{43})\n/.exec(stderr)?.[1],
    stderr: () => stderr,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Poll `probe` until it returns a value other than undefined, at most `timeoutMs`; then throw with `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
