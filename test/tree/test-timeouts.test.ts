import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Tests hold on a loaded machine by waiting on conditions with bounds, never by long timers: no test, hook or
 * vitest setting may allow more than 60 s. This finds the two ways a bound is written here (`{ timeout: N }`
 * and a bound after a test or hook body, `}, N);` or its long form) and vitest.config.ts's settings.
 */
const LIMIT_MS = 60_000;
const root = resolve(import.meta.dirname, '../..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const number = (text: string) => Number(text.replace(/_/g, ''));

describe('test timeouts', () => {
  it('none above 60 s in any test file', () => {
    const over: string[] = [];
    for (const file of testFiles(join(root, 'test'))) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        const bounds: RegExpMatchArray[] = [
          ...line.matchAll(/\b(?:test|hook)?[tT]imeout:\s*([\d_]+)|^\s*\}\s*,\s*([\d_]+)\s*\)/g),
        ];
        // The formatter's long form: the body's `},`, then the bound alone on a line, then `);`.
        const alone = line.match(/^\s*([\d_]+),?\s*$/);
        if (alone && lines[i - 1]?.trim() === '},' && lines[i + 1]?.trim().startsWith(')')) bounds.push(alone);
        for (const match of bounds) {
          if (number(match[1] ?? match[2] ?? '0') > LIMIT_MS)
            over.push(`${relative(root, file)}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    expect(over).toEqual([]);
  });

  it('vitest.config.ts sets test and hook timeouts at most 60 s', () => {
    const config = readFileSync(join(root, 'vitest.config.ts'), 'utf8');
    for (const key of ['testTimeout', 'hookTimeout']) {
      const match = config.match(new RegExp(`${key}:\\s*([\\d_]+)`));
      expect(match, key).not.toBeNull();
      expect(number(match![1]!), key).toBeLessThanOrEqual(LIMIT_MS);
    }
  });
});
