/**
 * `npm run build:azure [-- --out DIR]`: the Azure Function App's deployment package (infra/azure/main.json):
 * functions/azure/index.ts bundled with the same esbuild settings as the other functions and Azure's line of
 * RUNTIME_BUILDS (tools/bench/function-build.ts; the build `npm run bench:function` measures), host.json, and
 * a package.json whose `main` the Node.js worker loads and whose dependencies are installed beside it
 * (remote build, or `npm install --omit=dev` before zipping). @azure/functions stays outside the bundle: the
 * worker hands its core module to that copy, which registers the functions.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleFunction, RUNTIME_BUILDS, runtimeBuildOptions } from '../bench/function-build.ts';

/** What the deployed functions load from node_modules. */
export const AZURE_RUNTIME_PACKAGES = RUNTIME_BUILDS.azure!.besideBundle;

export async function buildAzure(root: string, out: string): Promise<{ entryFile: string; bytes: number }> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const bundle = await bundleFunction(
    root,
    'functions/azure/index.ts',
    join(out, 'dist'),
    runtimeBuildOptions(root, 'azure'),
  );
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const dependencies = Object.fromEntries(AZURE_RUNTIME_PACKAGES.map((name) => [name, pkg.dependencies[name]]));
  writeFileSync(
    join(out, 'package.json'),
    `${JSON.stringify({ name: 'tide-azure-functions', private: true, type: 'module', main: relative(out, bundle.entryFile), engines: { node: '>=20' }, dependencies }, null, 2)}\n`,
  );
  copyFileSync(join(root, 'infra/azure/host.json'), join(out, 'host.json'));
  return { entryFile: bundle.entryFile, bytes: bundle.initialBytes };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'dist/azure' } } });
  const root = resolve(import.meta.dirname, '../..');
  const out = resolve(root, values.out ?? 'dist/azure');
  const { entryFile, bytes } = await buildAzure(root, out);
  console.log(
    `${relative(root, entryFile)}: ${bytes} bytes at start; install its dependencies and zip ${relative(root, out)} for the Function App`,
  );
}
