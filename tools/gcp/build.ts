/**
 * `npm run build:gcp [-- --out DIR]`: the Google Cloud functions' source upload (infra/gcp/main.tf,
 * `source_object`): functions/gcp/index.ts bundled with the same esbuild settings as the AWS function
 * (tools/bench/function-build.ts reads them from serverless.yml) and GCP's line of RUNTIME_BUILDS there (the
 * same build `npm run bench:function` measures), plus a package.json whose dependencies Cloud Build installs.
 * The Functions Framework stays outside the bundle: Google's Node.js runtime starts the framework from
 * node_modules, and the functions must register in that same copy. The Google Cloud clients are loaded at
 * first use (adapters/gcp/clients.ts), from node_modules too.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleFunction, RUNTIME_BUILDS, runtimeBuildOptions } from '../bench/function-build.ts';

/** What the deployed functions load from node_modules (installed by Cloud Build from the package.json). */
export const GCP_RUNTIME_PACKAGES = RUNTIME_BUILDS.gcp!.besideBundle;

export async function buildGcp(root: string, out: string): Promise<{ entryFile: string; bytes: number }> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const bundle = await bundleFunction(root, 'functions/gcp/index.ts', out, runtimeBuildOptions(root, 'gcp'));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const dependencies = Object.fromEntries(GCP_RUNTIME_PACKAGES.map((name) => [name, pkg.dependencies[name]]));
  writeFileSync(
    join(out, 'package.json'),
    `${JSON.stringify({ name: 'tide-gcp-functions', private: true, type: 'module', main: relative(out, bundle.entryFile), engines: { node: '>=22' }, dependencies }, null, 2)}\n`,
  );
  return { entryFile: bundle.entryFile, bytes: bundle.initialBytes };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'dist/gcp' } } });
  const root = resolve(import.meta.dirname, '../..');
  const out = resolve(root, values.out ?? 'dist/gcp');
  const { entryFile, bytes } = await buildGcp(root, out);
  console.log(
    `${relative(root, entryFile)}: ${bytes} bytes at start; zip ${relative(root, out)} and upload it as source_object`,
  );
}
