import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../functions/cli/commands/index.ts';

const root = resolve(import.meta.dirname, '../..');

interface Metafile {
  outputs: Record<
    string,
    { bytes: number; entryPoint?: string; imports: { path: string; kind: string; external?: boolean }[] }
  >;
}

/** The bundle test/global-setup.ts built (or left current) for this run. */
const metafile = (): Metafile => JSON.parse(readFileSync(join(root, 'dist/tide.meta.json'), 'utf8')) as Metafile;

/** The outputs Node loads for `path` before running it: the file and its static imports, transitively. */
function staticClosure(outputs: Metafile['outputs'], path: string, seen = new Set<string>()): Set<string> {
  if (seen.has(path)) return seen;
  seen.add(path);
  for (const imported of outputs[path]?.imports ?? [])
    if (!imported.external && imported.kind === 'import-statement') staticClosure(outputs, imported.path, seen);
  return seen;
}

describe('the bundled CLI is split by command', () => {
  it('`tide help` loads the entry and what it imports statically: under 16 KB, no command', () => {
    const { outputs } = metafile();
    expect(Object.keys(outputs)).toContain('dist/tide.mjs');
    const loaded = staticClosure(outputs, 'dist/tide.mjs');
    const bytes = [...loaded].reduce((sum, path) => sum + outputs[path]!.bytes, 0);
    expect(bytes).toBeLessThan(16 * 1024);
    const commandModules = Object.entries(outputs)
      .filter(([, output]) => output.entryPoint?.startsWith('functions/cli/commands/'))
      .map(([path]) => path);
    expect(commandModules).toHaveLength(COMMANDS.length);
    for (const path of commandModules) expect(loaded.has(path)).toBe(false);
    // The whole CLI is far larger: what help leaves unloaded.
    const total = Object.values(outputs).reduce((sum, output) => sum + output.bytes, 0);
    expect(total).toBeGreaterThan(50 * bytes);
  });

  it.each(COMMANDS.map((entry) => [entry.name, entry] as const))(
    '%s: the listed name is the loaded command’s',
    async (name, entry) => {
      const command = await entry.load();
      expect(command.name).toBe(name);
      expect(command.usage).toContain(`tide ${name}`);
    },
    60_000,
  );
});
