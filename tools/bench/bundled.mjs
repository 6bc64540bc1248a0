// `node tools/bench/bundled.mjs FILE [args…]`: bundle a benchmark with esbuild the way serverless.yml packages
// Tide for Lambda (bundle, ESM, node20, no minify, no keepNames) and run the bundle with node, so the figures
// are those of the code that ships. Under tsx (`npx tsx FILE`) every inner function is also wrapped by a
// keepNames helper at run time, which cost the decide bench a quarter to a third of its throughput here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node tools/bench/bundled.mjs FILE [args...]');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'tide-bench-'));
try {
  const outfile = join(dir, 'bench.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: false,
    logLevel: 'error',
  });
  const run = spawnSync(process.execPath, [outfile, ...args], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
