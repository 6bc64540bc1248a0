/**
 * `npm run measure:memory`: the memory `tide serve --demo` (the bundled CLI, as `npm start` runs it) holds
 * at idle: no client connected, the demo's replay and the ticks running. Samples the process's resident
 * set (VmRSS, and VmHWM, the peak, from /proc/<pid>/status) once a second for `--seconds` (default 30)
 * after a 5 s warm-up, prints them as JSON and exits 1 when the last sample is over `--limit-mb`
 * (default 150). Linux only (/proc).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();
await loadExchangeCalendars();

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '30' }, 'limit-mb': { type: 'string', default: '150' } },
});
const seconds = Number(values.seconds);
const limitMb = Number(values['limit-mb']);
if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600)
  throw new Error(`--seconds must be 1-3600, was: ${values.seconds}`);
if (!Number.isFinite(limitMb) || limitMb <= 0)
  throw new Error(`--limit-mb must be a positive number, was: ${values['limit-mb']}`);

const BIN = fileURLToPath(new URL('../../bin/tide.js', import.meta.url));
const child = spawn(process.execPath, [BIN, 'serve', '--demo', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
child.stderr.on('data', (chunk) => (stderr += chunk));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function kib(field: string): number {
  const line = readFileSync(`/proc/${child.pid}/status`, 'utf8')
    .split('\n')
    .find((candidate) => candidate.startsWith(`${field}:`));
  const match = line && /^[A-Za-z]+:\s+(\d+) kB$/.exec(line);
  if (!match) throw new Error(`no ${field} in /proc/${child.pid}/status`);
  return Number(match[1]);
}

try {
  const deadline = Date.now() + 30_000;
  while (!/listening on /.test(stderr)) {
    if (child.exitCode !== null) throw new Error(`tide serve exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`tide serve did not start within 30 s: ${stderr}`);
    await sleep(100);
  }
  await sleep(5000);
  const samples: number[] = [];
  for (let i = 0; i < seconds; i++) {
    samples.push(kib('VmRSS'));
    await sleep(1000);
  }
  const mb = (k: number) => Math.round((k / 1024) * 10) / 10;
  const result = {
    command: 'tide serve --demo',
    node: process.version,
    seconds,
    rssMbLast: mb(samples[samples.length - 1]!),
    rssMbMax: mb(Math.max(...samples)),
    rssMbMin: mb(Math.min(...samples)),
    peakRssMb: mb(kib('VmHWM')),
    limitMb,
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
  console.log(JSON.stringify(result));
  process.exitCode = result.rssMbLast > limitMb ? 1 : 0;
} finally {
  child.kill('SIGTERM');
}
