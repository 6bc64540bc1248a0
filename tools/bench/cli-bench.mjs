// `npm run bench:cli`: how long `npx tide help` takes from a shell, the median of 10 runs (goal: under 0.5 s),
// beside what npx costs with nothing of Tide in it (`npx node -e 1`, the floor any `npx …` command pays: npm's
// own start-up and its resolution of the bin), and the same for the bin alone: `node bin/tide.js help` beside
// `node -e 1` (Node's own start-up). The difference in each pair is what is Tide's. The load average is
// printed too: on a shared machine a wall-clock figure means little without it.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = 10;

function medianSeconds(command, args) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const run = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
    times.push(seconds);
  }
  times.sort((a, b) => a - b);
  return { median: (times[RUNS / 2 - 1] + times[RUNS / 2]) / 2, min: times[0], max: times[RUNS - 1] };
}

const show = ({ median, min, max }) => `median ${median.toFixed(3)} s (min ${min.toFixed(3)}, max ${max.toFixed(3)})`;
const before = loadavg()[0];
// Interleaved pairs would be fairer on a busy machine; in sequence, each pair is measured back to back.
const npx = medianSeconds('npx', ['tide', 'help']);
const npxFloor = medianSeconds('npx', ['node', '-e', '1']);
const bin = medianSeconds(process.execPath, ['bin/tide.js', 'help']);
const nodeFloor = medianSeconds(process.execPath, ['-e', '1']);
console.log(
  `npx tide help         ${show(npx)} over ${RUNS} runs; goal < 0.5 s: ${npx.median < 0.5 ? 'met' : 'NOT met'}`,
);
console.log(`npx node -e 1         ${show(npxFloor)}: npx's own floor, nothing of Tide loaded`);
console.log(`node bin/tide.js help ${show(bin)}; goal ≤ 0.1 s: ${bin.median <= 0.1 ? 'met' : 'NOT met'}`);
console.log(`node -e 1             ${show(nodeFloor)}: Node's own start-up`);
console.log(
  `Tide's part: ${(npx.median - npxFloor.median).toFixed(3)} s over npx's floor, ${(bin.median - nodeFloor.median).toFixed(3)} s over Node's`,
);
console.log(`load average (1 min): ${before.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`);
