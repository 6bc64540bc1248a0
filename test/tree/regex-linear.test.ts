/**
 * No regular expression in the tree is superlinear. Every regex in the shipped source (collected by the
 * TypeScript parser, so a new one is covered without a registry to keep) runs over adversarial texts of the
 * payload limit (256 KB), built from its own pieces; each run must finish within a bound. A linear regex takes
 * milliseconds over 256 KB and a quadratic one seconds (the CloudWatch datapoints regex: 3.3 s on a quiet
 * machine, 26 s on a loaded one), so load does not blur the verdict; a stopped run is retried before it counts.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BYTES } from '../../adapters/events/index.ts';
import { CAPACITY_ERROR_CODES } from '../../adapters/aws/auto-scaling-groups.ts';
import { collectRegexes, findSlowRegexes, regexPieces } from '../support/regex-inventory.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BOUND_MS = 1000;
/**
 * Regexes built at run time from constants, registered here by where they are built and rebuilt the same way,
 * so they are checked like the literals; an unregistered dynamic regex fails the first test.
 */
const DYNAMIC: Record<string, RegExp> = {
  'adapters/aws/auto-scaling-groups.ts': new RegExp(`\\b(${CAPACITY_ERROR_CODES.join('|')})\\b`),
};
const collected = collectRegexes(ROOT);
const registered = (entry: string) => Object.keys(DYNAMIC).find((file) => entry.startsWith(`${file}:`));
const inventory = {
  regexes: [
    ...collected.regexes,
    ...collected.dynamic.flatMap((entry) => {
      const file = registered(entry);
      return file ? [{ where: entry, regex: DYNAMIC[file] as RegExp }] : [];
    }),
  ],
  dynamic: collected.dynamic.filter((entry) => !registered(entry)),
};

describe('regular expressions in the tree', () => {
  it('are all found, and none is built from a non-literal pattern the check cannot see', () => {
    // The datapoints parser and the timestamp schema are among them: the collector reads every folder.
    const where = inventory.regexes.map((found) => found.where);
    expect(where.some((w) => w.startsWith('adapters/events/aws/cloudwatch-alarm.ts'))).toBe(true);
    expect(where.some((w) => w.startsWith('core/schema/common.ts'))).toBe(true);
    expect(inventory.regexes.length).toBeGreaterThan(40);
    expect(inventory.dynamic).toEqual([]);
  });

  it('each runs within the bound over 256 KB of adversarial text', { timeout: 60_000 }, async () => {
    const slow = await findSlowRegexes(inventory.regexes, DEFAULT_MAX_BYTES, BOUND_MS);
    expect(
      slow.map(({ where, regex, input }) => `${where} ${regex} on ${JSON.stringify(input.slice(0, 40))}…`),
    ).toEqual([]);
  });

  it('catches the quadratic datapoints regex it replaced', { timeout: 60_000 }, async () => {
    const old = /datapoints? \[([^\]]*)\]/;
    expect(regexPieces(old)).toEqual(['datapoint', 's', ' [', ' ', ']']);
    const slow = await findSlowRegexes(
      [
        { where: 'old', regex: old },
        { where: 'fixed', regex: /datapoints? \[/ },
      ],
      DEFAULT_MAX_BYTES,
      BOUND_MS,
    );
    expect(slow.map(({ where, input }) => [where, input.slice(0, 24)])).toEqual([['old', 'datapoints [datapoints [']]);
  });
});
