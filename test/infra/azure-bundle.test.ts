/**
 * What can be checked offline of infra/azure: every function it names (Event Grid destinations
 * `…/functions/<name>`) is registered by the bundle `npm run build:azure` ships, loaded the way the Azure
 * Functions Node.js worker loads it: a fresh Node process in which `@azure/functions-core` is provided (as the
 * worker does) to the @azure/functions copy in node_modules, then the package.json's `main`. And the bundle
 * ships host.json with the route prefix the webhook URLs assume.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildAzure } from '../../tools/azure/build.ts';

const root = resolve(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'tide-azure-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('every function infra/azure names is registered by the built bundle, with its trigger', {
  timeout: 60_000,
}, async () => {
  const template = readFileSync(join(root, 'infra/azure/main.json'), 'utf8');
  const named = [...new Set([...template.matchAll(/\/functions\/(\w+)'/g)].map((match) => match[1]!))];
  expect(named).toEqual(['tideEvents']);
  await buildAzure(root, out);
  const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
  expect(pkg.dependencies['@azure/functions']).toBeTruthy();
  expect(JSON.parse(readFileSync(join(out, 'host.json'), 'utf8')).extensions.http.routePrefix).toBe('');
  // @azure/functions (CommonJS) is required, not imported: an ESM import first scans its 190 KB for named
  // exports, about 20 ms of every cold start (functions/azure/index.ts).
  const entry = readFileSync(join(out, pkg.main), 'utf8');
  expect(entry).not.toMatch(/\bfrom\s*["']@azure\/functions["']/);
  expect(entry).not.toMatch(/\bimport\(\s*["']@azure\/functions["']/);
  // The deployment installs the dependencies beside the bundle; the repository's node_modules stands in.
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'));
  const probe = `
    import Module from 'node:module';
    const registered = {};
    const core = {
      version: '3.10.1',
      setProgrammingModel() {},
      registerFunction(metadata) {
        registered[metadata.name] = Object.values(metadata.bindings).map((b) => b.direction + ':' + b.type).sort();
        return { dispose() {} };
      },
      registerHook() { return { dispose() {} }; },
      log() {},
    };
    const load = Module._load;
    Module._load = function (request, ...rest) { return request === '@azure/functions-core' ? core : load.call(this, request, ...rest); };
    await import(${JSON.stringify(`file://${join(out, pkg.main)}`)});
    process.stdout.write(JSON.stringify(registered));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: out,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 45_000,
  });
  expect(run.stderr).not.toMatch(/Error/);
  const registered = JSON.parse(run.stdout) as Record<string, string[]>;
  for (const name of named) expect(registered[name], `${name} is not registered`).toBeDefined();
  expect(registered).toEqual({
    tideHttp: ['in:httpTrigger', 'out:http'],
    tideEvents: ['in:eventGridTrigger'],
    tideTick: ['in:timerTrigger'],
  });
});
