// `npm run build` (and `prepare`, so `npm ci` runs it): bundle the `tide` CLI into dist/tide.mjs with esbuild,
// split by command (dist/tide.<chunk>-<hash>.mjs beside it). The bin runs the bundle with plain node instead
// of tsx compiling several hundred modules at every start, and `tide help` loads only the entry
// (`npm run bench:cli` measures both). dist/ is not committed: a bundle in git is a second copy
// of the source that every change would have to rebuild, review and merge, and `npm ci` builds it anyway.
//
// `node tools/cli/build.mjs --if-stale` rebuilds only when a source the last bundle read is newer than it
// (test/global-setup.ts uses it, so tests that spawn bin/tide.js run the code under test in any worktree).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BUNDLE = join(root, 'dist/tide.mjs');
const METAFILE = join(root, 'dist/tide.meta.json');
/** The simulation worker's entry, dist/tide-simulation-worker.mjs. */
const WORKER = 'tide-simulation-worker';

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

/** Chunk files of a build: `tide.<module>-<hash>.mjs`, beside the entry (so paths relative to a module hold). */
const CHUNK = /^tide\..+-[A-Z0-9]{8}\.mjs$/;
/** Chunks no longer referenced are removed once this old: a run that loaded the previous entry may still import them. */
const CHUNK_GRACE_MS = 10 * 60_000;

/**
 * Bundle the CLI: the entry (dist/tide.mjs: `main`, the list of commands, `tide help`) and one chunk per
 * command plus the chunks they share, loaded by dynamic import when a command runs (code splitting), so
 * `tide help` parses a few KB instead of the whole CLI. Built into a temporary directory, then the chunks
 * (content-hashed names: a rebuild with the same content writes the same file) are moved beside the entry,
 * and the entry last, by rename: a concurrent reader sees the old build or the new one, never half a file.
 */
/**
 * A dynamic `import('package')` of a CommonJS package (ioredis, the AWS SDK clients) would become a chunk that
 * exports only `default` once the build is split, so `const { Redis } = await import('ioredis')` would find
 * nothing (Node itself gives CommonJS's named exports too). Each such import goes through a small ES module
 * that names them: the package's export names are read here, at build time, with Node's own `require`.
 */
const namedExportsOfDynamicImports = {
  name: 'named-exports-of-dynamic-imports',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === 'dynamic-import' && !args.path.startsWith('node:')
        ? { path: args.path, namespace: 'tide-named-exports', pluginData: { resolveDir: args.resolveDir } }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'tide-named-exports' }, (args) => {
      const { resolveDir } = args.pluginData;
      const required = createRequire(join(resolveDir, 'index.js'));
      let names;
      try {
        names = Object.keys(required(args.path));
      } catch {
        // An ES module package (require cannot load it): its chunk has its own named exports.
        return { contents: `export * from ${JSON.stringify(args.path)};`, resolveDir, loader: 'js' };
      }
      const identifiers = names.filter((name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name));
      const spec = JSON.stringify(args.path);
      return {
        contents: `import * as ns from ${spec};\nexport default ns.default;\n${identifiers.map((name) => `export const ${name} = ns[${JSON.stringify(name)}];`).join('\n')}`,
        resolveDir,
        loader: 'js',
      };
    });
  },
};

export async function buildCli() {
  const dist = dirname(BUNDLE);
  mkdirSync(dist, { recursive: true });
  const temporary = join(dist, `.build-${process.pid}`);
  rmSync(temporary, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    // The console's simulation worker is an entry of its own: a worker thread starts from a file
    // (functions/console/simulation-runner.ts finds it beside the chunks), and shares their chunks.
    entryPoints: { tide: 'functions/cli/main.ts', [WORKER]: 'functions/console/simulation-worker.ts' },
    outdir: temporary,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'tide.[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    metafile: true,
    logLevel: 'error',
    plugins: [namedExportsOfDynamicImports],
    // ESM output has no `require`; bundled CommonJS dependencies that require Node built-ins need one.
    banner: {
      js: "import { createRequire as __tideCreateRequire } from 'node:module'; const require = __tideCreateRequire(import.meta.url);",
    },
  });
  const chunks = readdirSync(temporary).filter((name) => CHUNK.test(name));
  for (const chunk of chunks) renameSync(join(temporary, chunk), join(dist, chunk));
  renameSync(join(temporary, `${WORKER}.mjs`), join(dist, `${WORKER}.mjs`));
  renameSync(join(temporary, 'tide.mjs'), BUNDLE);
  rmSync(temporary, { recursive: true, force: true });
  // Output paths as they are now (dist/…), not as built (dist/.build-<pid>/…).
  const metafile = JSON.stringify(result.metafile).replaceAll(`dist/.build-${process.pid}/`, 'dist/');
  writeFileSync(`${METAFILE}.${process.pid}.tmp`, metafile);
  renameSync(`${METAFILE}.${process.pid}.tmp`, METAFILE);
  const current = new Set(chunks);
  for (const name of readdirSync(dist)) {
    if (!CHUNK.test(name) || current.has(name)) continue;
    try {
      if (Date.now() - statSync(join(dist, name)).mtimeMs > CHUNK_GRACE_MS) rmSync(join(dist, name), { force: true });
    } catch {
      // removed by a concurrent build
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes('--if-stale') || isStale()) await buildCli();
}
