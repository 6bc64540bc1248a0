/**
 * Bundle a cloud function exactly as it ships: the esbuild settings come from serverless.yml's
 * `custom.esbuild` (what serverless-esbuild passes to esbuild), so the bench and the tests measure and run
 * the code that is deployed, not a look-alike. Used by `npm run bench:function` and the packaging test.
 *
 * Function entries are found, not listed: every handler serverless.yml declares, plus any
 * `functions/<runtime>/{index,handler,main}.ts` of a runtime without a serverless.yml entry (GCP, Azure), built
 * with the same settings plus their runtime's line in RUNTIME_BUILDS (what is installed beside the bundle).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { parse } from 'yaml';

/** serverless-esbuild options that are the plugin's own, not esbuild's (its bundle.ts strips the same list). */
const PLUGIN_OPTIONS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
];

/** Runtimes under functions/ that are not cloud functions. */
const NOT_FUNCTIONS = new Set(['cli', 'shell']);

/**
 * How each runtime's functions ship beyond serverless.yml's esbuild settings, which every runtime shares
 * (minified, split, node22, ESM, source maps beside the bundle). `besideBundle`: packages left out of the
 * bundle and installed beside it from package.json when the runtime deploys (the bundle imports them from
 * node_modules). A runtime without an entry here ships everything inside its bundle, as AWS Lambda does.
 * Each runtime's folder (`functions/<runtime>/index.ts`) is found by `functionEntries`.
 */
export const RUNTIME_BUILDS: Record<string, { besideBundle: readonly string[]; entryNames?: string }> = {
  // Google's Node.js runtime starts the Functions Framework from node_modules, and the functions must
  // register in that same copy; the Google Cloud clients are loaded at first use (adapters/gcp/clients.ts).
  gcp: {
    besideBundle: [
      '@google-cloud/functions-framework',
      '@google-cloud/compute',
      '@google-cloud/container',
      '@google-cloud/aiplatform',
      '@google-cloud/monitoring',
      'google-auth-library',
      '@upstash/redis',
      'ioredis',
    ],
    entryNames: 'index',
  },
  // The Azure Functions Node.js worker provides `@azure/functions-core` to the @azure/functions copy in
  // node_modules, which registers the functions; the Azure clients are loaded at first use
  // (adapters/azure/clients.ts), from node_modules too.
  azure: {
    besideBundle: [
      '@azure/functions',
      '@azure/arm-compute',
      '@azure/arm-machinelearning',
      '@azure/arm-monitor',
      '@azure/identity',
      '@upstash/redis',
      'ioredis',
    ],
    entryNames: 'index',
  },
};

/** One deployable function. */
export interface FunctionEntry {
  /** e.g. `aws:events` (serverless.yml) or `gcp` (a runtime folder). */
  name: string;
  /** Source file, relative to the repository root. */
  entry: string;
  /** What its runtime adds to the shared settings (RUNTIME_BUILDS), for `bundleFunction`'s `overrides`. */
  build: BuildOptions;
}

/** What a bundle is made of. */
export interface FunctionBundle {
  /** The entry's output file (absolute). */
  entryFile: string;
  /** Bytes a cold start loads: the entry file and the chunks it imports statically. */
  initialBytes: number;
  /** Bytes of every JavaScript file in the package (lazily loaded chunks included), source maps excluded. */
  packageBytes: number;
  /** Every output file with its size; `initial` marks those a cold start loads. */
  files: { path: string; bytes: number; initial: boolean }[];
  /** Packages left out of the bundle (`exclude` in serverless.yml): imported from node_modules if at all. */
  external: string[];
  metafile: Metafile;
}

function serverlessConfig(root: string): Record<string, any> {
  const text = readFileSync(join(root, 'serverless.yml'), 'utf8');
  return parse(text, {
    customTags: [
      { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
      { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
      { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) },
    ],
  });
}

/** The esbuild options serverless-esbuild derives from serverless.yml (`outdir` and `entryPoints` left to the caller). */
export function shippedEsbuildOptions(root: string): BuildOptions {
  const settings: Record<string, unknown> = { ...serverlessConfig(root).custom?.esbuild };
  const exclude = (settings.exclude as string[] | undefined) ?? [];
  const external = [...((settings.external as string[] | undefined) ?? []), ...exclude.filter((e) => e !== '*')];
  const extension = settings.outputFileExtension as string | undefined;
  // `plugins` names a file of esbuild plugins (serverless-esbuild requires it from the service directory).
  const plugins =
    typeof settings.plugins === 'string'
      ? (createRequire(join(root, 'serverless.yml'))(join(root, settings.plugins)) as Plugin[])
      : (settings.plugins as Plugin[] | undefined);
  for (const option of PLUGIN_OPTIONS) delete settings[option];
  return {
    ...(settings as BuildOptions),
    external,
    ...(plugins ? { plugins } : {}),
    ...(extension && extension !== '.js' ? { outExtension: { '.js': extension } } : {}),
  };
}

/** The build options a runtime adds to the shared ones (`RUNTIME_BUILDS`). */
export function runtimeBuildOptions(root: string, runtime: string): BuildOptions {
  const settings = RUNTIME_BUILDS[runtime];
  if (!settings) return {};
  const shared = (shippedEsbuildOptions(root).external as string[] | undefined) ?? [];
  return {
    external: [...new Set([...shared, ...settings.besideBundle])],
    ...(settings.entryNames ? { entryNames: settings.entryNames } : {}),
  };
}

/** Every function entry that exists in the tree. */
export function functionEntries(root: string): FunctionEntry[] {
  const entries: FunctionEntry[] = [];
  const functions = serverlessConfig(root).functions ?? {};
  const declared = new Set<string>();
  for (const [name, fn] of Object.entries<{ handler: string }>(functions)) {
    const base = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
    const entry = `${base}.ts`;
    entries.push({ name: `aws:${name}`, entry, build: {} });
    declared.add(entry.split('/')[1] ?? '');
  }
  const functionsDir = join(root, 'functions');
  for (const runtime of readdirSync(functionsDir).sort()) {
    if (NOT_FUNCTIONS.has(runtime) || declared.has(runtime) || !statSync(join(functionsDir, runtime)).isDirectory())
      continue;
    const file = ['index.ts', 'handler.ts', 'main.ts'].find((candidate) =>
      existsSync(join(functionsDir, runtime, candidate)),
    );
    if (file)
      entries.push({ name: runtime, entry: `functions/${runtime}/${file}`, build: runtimeBuildOptions(root, runtime) });
  }
  return entries;
}

/** Bundle one entry into `outdir` with the shipped settings (plus a metafile) and size what came out. */
export async function bundleFunction(
  root: string,
  entry: string,
  outdir: string,
  overrides: BuildOptions = {},
): Promise<FunctionBundle> {
  const options = { ...shippedEsbuildOptions(root), ...overrides };
  const result = await build({
    ...options,
    absWorkingDir: root,
    entryPoints: [join(root, entry)],
    outdir,
    metafile: true,
    logLevel: 'error',
  });
  const outputs = result.metafile.outputs;
  const abs = (path: string) => resolve(root, path);
  // With splitting, every dynamically imported module (the AWS SDK clients) is an entry point of its own too.
  const entryOutput =
    Object.keys(outputs).find((path) => outputs[path]?.entryPoint === entry) ??
    Object.keys(outputs).find((path) => outputs[path]?.entryPoint !== undefined);
  if (!entryOutput) throw new Error(`esbuild wrote no entry output for ${entry}`);
  // What a cold start loads: the entry and, transitively, the chunks it imports statically.
  const initial = new Set<string>();
  const visit = (path: string) => {
    if (initial.has(path)) return;
    initial.add(path);
    for (const imported of outputs[path]?.imports ?? [])
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  visit(entryOutput);
  const files = Object.entries(outputs)
    .filter(([path]) => !path.endsWith('.map'))
    .map(([path, output]) => ({ path: relative(root, abs(path)), bytes: output.bytes, initial: initial.has(path) }));
  return {
    entryFile: abs(entryOutput),
    initialBytes: files.filter((file) => file.initial).reduce((sum, file) => sum + file.bytes, 0),
    packageBytes: files.reduce((sum, file) => sum + file.bytes, 0),
    files,
    external: (options.external as string[] | undefined) ?? [],
    metafile: result.metafile,
  };
}
