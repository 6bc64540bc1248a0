/**
 * One seeded generator (issue 10): everything random in a simulation, a bench or a fuzz run draws from
 * pure-rand (adapters/fake-cloud/random.ts, or pure-rand directly), never from a generator written by hand.
 * A hand-written one shows itself by turning 32-bit state into a float (`/ 4294967296`, `/ 2 ** 32`) or by
 * its name; the trading day's mulberry32 stream was the last one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const ROOMS = ['core', 'adapters', 'functions', 'simulator', 'tools', 'infra', 'bin'];
const HAND_WRITTEN = /mulberry|xorshift|splitmix|\bLCG\b|\/\s*4294967296|\/\s*0x100000000|\/\s*2\s*\*\*\s*32/i;

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|mjs|js|cjs)$/.test(file) && !file.includes('node_modules'))
    .map((file) => join(dir, file));
}

describe('one seeded generator', () => {
  it('no source file writes its own', () => {
    const found = ROOMS.flatMap((room) => sources(join(root, room)))
      .filter((file) => HAND_WRITTEN.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(found).toEqual([]);
  });

  it('the check sees one (the mulberry32 the trading day had)', () => {
    expect(HAND_WRITTEN.test('return ((t ^ (t >>> 14)) >>> 0) / 4294967296;')).toBe(true);
  });
});
