// `npm run check:load`: the suite must hold on a loaded machine. Runs `npm test` three times in a row while
// busy loops hold every core (two on the project's 2-core machine), and prints pass or fail per run.
// Slow (three full suites on a machine kept busy) and it loads the machine for everyone: run it on purpose.
//
//   npm run check:load              three runs, one busy loop per core
//   npm run check:load -- --runs 1 --loops 2
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    loops: { type: 'string', default: String(availableParallelism()) },
  },
});
const runs = Number(values.runs);
const loops = Number(values.loops);

const busy = Array.from({ length: loops }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stopBusy = () => {
  for (const loop of busy) loop.kill('SIGKILL');
};
process.on('exit', stopBusy);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

/** `npm test`, its output passed through; resolves with the exit code and the seconds it took. */
function npmTest() {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn('npm', ['test'], { cwd: root, stdio: 'inherit' });
    child.once('close', (code) => done({ code, seconds: (Date.now() - started) / 1000 }));
  });
}

console.log(`check:load: npm test ${runs} times while ${loops} busy loops hold the cores`);
const outcomes = [];
for (let run = 1; run <= runs; run++) {
  const { code, seconds } = await npmTest();
  outcomes.push(code === 0);
  console.log(`check:load: run ${run}: ${code === 0 ? 'PASS' : `FAIL (exit ${code})`} in ${seconds.toFixed(0)} s`);
}
stopBusy();
for (const [i, passed] of outcomes.entries()) console.log(`run ${i + 1}: ${passed ? 'pass' : 'fail'}`);
console.log(`check:load: ${outcomes.filter(Boolean).length} of ${runs} runs passed`);
process.exitCode = outcomes.every(Boolean) ? 0 : 1;
