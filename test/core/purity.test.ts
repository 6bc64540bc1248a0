import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\(/, 'reads the clock'],
  [/new Date\(\s*\)/, 'reads the clock'],
  [/\bperformance\.now\(/, 'reads the clock'],
  [/\bMath\.random\(/, 'uses randomness'],
  [/\bprocess\./, 'reads the process environment'],
  [/\bfetch\(/, 'does network I/O'],
  [/from 'node:/, 'imports a Node built-in (I/O)'],
  [/from '(fs|net|http|https|child_process|crypto)'/, 'imports a Node built-in (I/O)'],
  [/from '@(aws-sdk|azure|google-cloud|upstash)\//, 'imports a cloud SDK'],
  [/from '(ioredis|hono)'/, 'imports an I/O library'],
  [/\bsetTimeout\(|\bsetInterval\(/, 'uses timers'],
];

describe('core/ is pure', () => {
  const files = sources(new URL('../../core', import.meta.url).pathname);
  it('has source files to check', () => expect(files.length).toBeGreaterThan(10));
  it.each(files.map((file) => ({ file: file.replace(/.*\/core\//, 'core/'), path: file })))('$file', ({ path }) => {
    const text = readFileSync(path, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    for (const [pattern, what] of FORBIDDEN) expect(pattern.test(text), `${path} ${what}: ${pattern}`).toBe(false);
  });
});
