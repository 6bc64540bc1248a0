/**
 * What can be checked offline of infra/gcp/main.tf: every entry point it names is registered with the
 * Functions Framework by the bundle `npm run build:gcp` uploads, loaded the way Google's runtime loads it
 * (a fresh Node process, the framework from node_modules, then the bundle).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildGcp } from '../../tools/gcp/build.ts';

const root = resolve(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'tide-gcp-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('every entry point infra/gcp names is registered by the built bundle', { timeout: 60_000 }, async () => {
  const terraform = readFileSync(join(root, 'infra/gcp/main.tf'), 'utf8');
  const entryPoints = [...terraform.matchAll(/entry_point\s*=\s*"([^"]+)"/g)].map((match) => match[1]!);
  expect(entryPoints.length).toBeGreaterThan(0);
  const { entryFile } = await buildGcp(root, out);
  const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
  expect(pkg.dependencies['@google-cloud/functions-framework']).toBeTruthy();
  // Cloud Build runs `npm install` beside the bundle; the repository's node_modules stands in for it.
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'));
  // getTestServer throws for a name nothing registered.
  const probe = `
    import { createRequire } from 'node:module';
    const require = createRequire(${JSON.stringify(join(out, 'package.json'))});
    const { getTestServer } = require('@google-cloud/functions-framework/testing');
    await import(${JSON.stringify(`file://${entryFile}`)});
    const found = [];
    for (const name of ${JSON.stringify(entryPoints)}) {
      try { getTestServer(name); found.push(name); } catch (error) { found.push('missing:' + name); }
    }
    process.stdout.write(JSON.stringify(found));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: out,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 45_000,
  });
  expect(run.stderr).not.toMatch(/Error/);
  expect(JSON.parse(run.stdout)).toEqual(entryPoints);
});
