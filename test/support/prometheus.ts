/**
 * Debian's Prometheus (`prometheus`) and Alertmanager (`prometheus-alertmanager`) for one test file, each on
 * a free loopback port with its own directory and the configuration the test gives (JSON, which is YAML).
 * Start-up waits on `/-/ready` (bounded); `close()` kills the process and removes the directory.
 * .ci/run installs both packages when they are missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Daemon {
  port: number;
  url: string;
  log(): string;
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
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

function requireBinary(binary: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0)
    throw new Error(`${binary} is missing: apt-get install ${pkg} (.ci/run installs it)`);
}

async function startDaemon(
  binary: string,
  pkg: string,
  args: (port: number, dir: string) => string[],
  config: unknown,
  timeoutMs: number,
  extra: { web?: unknown; readyHeaders?: Record<string, string> } = {},
): Promise<Daemon> {
  requireBinary(binary, pkg);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `tide-${binary}-`));
  writeFileSync(join(dir, 'config.yml'), JSON.stringify(config, null, 2));
  if (extra.web !== undefined) writeFileSync(join(dir, 'web.yml'), JSON.stringify(extra.web, null, 2));
  let log = '';
  const child: ChildProcess = spawn(binary, args(port, dir), { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (chunk) => {
    log += chunk;
    if (log.length > 200_000) log = log.slice(-100_000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`${binary} exited at start: ${log}`);
    }
    const ready = await fetch(`${url}/-/ready`, {
      signal: AbortSignal.timeout(1000),
      ...(extra.readyHeaders ? { headers: extra.readyHeaders } : {}),
    }).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(`${binary} was not ready within ${timeoutMs} ms: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { port, url, log: () => log, close };
}

/**
 * A Prometheus with `config` (global, scrape_configs, rule_files relative to its directory …); with
 * `basicAuth`, its web config asks every request for that user (the password's bcrypt hash given).
 */
export function startPrometheus(
  config: unknown,
  timeoutMs = 30_000,
  basicAuth?: { user: string; password: string; bcryptHash: string },
): Promise<Daemon> {
  return startDaemon(
    'prometheus',
    'prometheus',
    (port, dir) => [
      `--config.file=${join(dir, 'config.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(basicAuth ? [`--web.config.file=${join(dir, 'web.yml')}`] : []),
      '--log.level=warn',
    ],
    config,
    timeoutMs,
    basicAuth
      ? {
          web: { basic_auth_users: { [basicAuth.user]: basicAuth.bcryptHash } },
          readyHeaders: {
            authorization: `Basic ${Buffer.from(`${basicAuth.user}:${basicAuth.password}`).toString('base64')}`,
          },
        }
      : {},
  );
}

/** An Alertmanager with `config` (route, receivers …), clustering off. */
export function startAlertmanager(config: unknown, timeoutMs = 30_000): Promise<Daemon> {
  return startDaemon(
    'prometheus-alertmanager',
    'prometheus-alertmanager',
    (port, dir) => [
      `--config.file=${join(dir, 'config.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    config,
    timeoutMs,
  );
}

/** Prometheus's answer to an instant query, as [labels, value] pairs. */
export async function promQuery(
  prometheus: Daemon,
  query: string,
): Promise<{ labels: Record<string, string>; value: number }[]> {
  const answer = (await (
    await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`, {
      signal: AbortSignal.timeout(5000),
    })
  ).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return answer.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}
