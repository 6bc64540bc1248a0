// `npm run build` (and `prepare`, so `npm ci` runs it): bundle the `tide` CLI into dist/tide.mjs with esbuild.
// The bin runs the bundle with plain node: one file to parse instead of tsx compiling several hundred modules
// at every start (`npm run bench:cli` measures it). dist/ is not committed: a bundle in git is a second copy
// of the source that every change would have to rebuild, review and merge, and `npm ci` builds it anyway.
//
// `node tools/cli/build.mjs --if-stale` rebuilds only when a source the last bundle read is newer than it
// (test/global-setup.ts uses it, so tests that spawn bin/tide.js run the code under test in any worktree).
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BUNDLE = join(root, 'dist/tide.mjs');
const METAFILE = join(root, 'dist/tide.meta.json');

/** Whether the bundle is missing or older than any file it was built from (or a file it read is gone). */
export function isStale() {
  let builtAt;
  let inputs;
  try {
    builtAt = statSync(BUNDLE).mtimeMs;
    inputs = Object.keys(JSON.parse(readFileSync(METAFILE, 'utf8')).inputs);
  } catch {
    return true;
  }
  // The entry's own directory may have gained a file no input imports yet; an import of it changes an input.
  return inputs.some((input) => {
    try {
      return statSync(join(root, input)).mtimeMs > builtAt;
    } catch {
      return true;
    }
  });
}

/** Bundle the CLI. Writes next to the target and renames, so a concurrent reader never sees half a file. */
export async function buildCli() {
  mkdirSync(dirname(BUNDLE), { recursive: true });
  const temporary = `${BUNDLE}.${process.pid}.tmp`;
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['functions/cli/main.ts'],
    outfile: temporary,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    metafile: true,
    logLevel: 'error',
    // ESM output has no `require`; bundled CommonJS dependencies that require Node built-ins need one.
    banner: {
      js: "import { createRequire as __tideCreateRequire } from 'node:module'; const require = __tideCreateRequire(import.meta.url);",
    },
  });
  renameSync(temporary, BUNDLE);
  writeFileSync(`${METAFILE}.${process.pid}.tmp`, JSON.stringify(result.metafile));
  renameSync(`${METAFILE}.${process.pid}.tmp`, METAFILE);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes('--if-stale') || isStale()) await buildCli();
}
