/**
 * `npm run sweep:spot-inference` (issue 17 section 5's settings sweep) gives, cell by cell, what
 * `tide simulate --spot --spot-pools P --tide-pool-loss-reserve R --seed S` gives.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../functions/cli/command.ts';
import { main } from '../../functions/cli/main.ts';

const root = join(import.meta.dirname, '../..');

describe('npm run sweep:spot-inference', () => {
  it('a cell is the spot comparison tide simulate prints for the same settings', async () => {
    const args = ['--pools', '4', '--reserves', '0.75', '--seeds', '2', '--workloads', 'code', '--json'];
    const printed = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(root, 'tools/bench/spot-inference-sweep.ts'), ...args],
      { cwd: root, encoding: 'utf8', timeout: 55_000 },
    );
    const { cells } = JSON.parse(printed) as { cells: Array<Record<string, unknown>> };
    expect(cells).toHaveLength(1);

    const out: string[] = [];
    const io: CliIo = { out: (text) => void out.push(text), err: () => {}, isTty: false };
    const cli = ['simulate', '--workload', 'code', '--spot', '--spot-pools', '4', '--tide-pool-loss-reserve', '0.75'];
    expect(await main([...cli, '--seed', '2', '--json'], io)).toBe(0);
    const { spot } = JSON.parse(out.join('\n'));
    expect(cells[0]).toEqual({
      workload: 'code',
      pools: 4,
      poolLossReserve: 0.75,
      seed: 2,
      saving: spot.saving,
      sloDeltaPoints: spot.sloDeltaPoints,
      met: spot.met,
    });
  }, 60_000);
});
