/**
 * `npm run sweep:spot-inference [-- --pools 2,4,6,8 --reserves 0.5,0.65,0.75,1 --seeds 1-5 --workloads trading-day,code --json]`
 *
 * Issue 17 section 5 over the settings a user chooses: how many spot pools Tide spreads inference replicas over
 * and how much of the need survives the loss of any one of them (`spot.poolLossReserve`). Each cell is
 * `tide simulate --workload W --spot --spot-pools P --tide-pool-loss-reserve R --seed S`: Tide on spot against
 * the same policy all on-demand, on the calibrated market (docs/simulator.md, "Spot for inference"). It prints
 * the saving and the change in the share of requests over the SLO per seed, and in how many seeds both clauses
 * hold (at least 45 % cheaper, the SLO within 0.5 point). Deterministic: the same commit prints the same table.
 */
import { parseArgs } from 'node:util';
import { runComparison } from '../../simulator/comparison.ts';
import { findWorkload } from '../../simulator/workloads.ts';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

// The trading day's plans name cron lines and the XNYS calendar, which the core is handed (as the CLI does).
await loadCron();
await loadExchangeCalendars();

const { values } = parseArgs({
  options: {
    pools: { type: 'string', default: '2,4,6,8' },
    reserves: { type: 'string', default: '0.5,0.65,0.75,1' },
    seeds: { type: 'string', default: '1-5' },
    workloads: { type: 'string', default: 'trading-day,code' },
    json: { type: 'boolean', default: false },
  },
});

function numbers(text: string, name: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const range = /^(\d+)-(\d+)$/.exec(part.trim());
    if (range) for (let n = Number(range[1]); n <= Number(range[2]); n++) out.push(n);
    else if (part.trim() !== '' && Number.isFinite(Number(part))) out.push(Number(part));
    else throw new Error(`--${name}: not a number or a range: "${part}"`);
  }
  return out;
}

const pools = numbers(values.pools, 'pools');
const reserves = numbers(values.reserves, 'reserves');
const seeds = numbers(values.seeds, 'seeds');
const workloads = values.workloads.split(',').map((name) => {
  const found = findWorkload(name.trim());
  if (!found) throw new Error(`--workloads: no workload "${name}"`);
  return found;
});

interface Cell {
  workload: string;
  pools: number;
  poolLossReserve: number;
  seed: number;
  saving: number;
  sloDeltaPoints: number;
  met: boolean;
}
const cells: Cell[] = [];
for (const workload of workloads) {
  for (const seed of seeds) {
    const trace = await workload.load(seed);
    for (const poolCount of pools) {
      for (const poolLossReserve of reserves) {
        const report = await runComparison({
          trace,
          seed,
          capacityType: 'spot',
          spotPools: poolCount,
          tideSpot: { poolLossReserve },
          ...(workload.plans ? { plans: workload.plans } : {}),
          only: ['tide'],
          oracle: false,
        });
        const spot = report.spot;
        if (!spot) throw new Error('a spot run gave no spot comparison');
        cells.push({
          workload: workload.name,
          pools: poolCount,
          poolLossReserve,
          seed,
          saving: spot.saving,
          sloDeltaPoints: spot.sloDeltaPoints,
          met: spot.met,
        });
        if (!values.json)
          process.stderr.write(
            `${workload.name} pools ${poolCount} reserve ${poolLossReserve} seed ${seed}: ${(spot.saving * 100).toFixed(1)} % cheaper, ${spot.sloDeltaPoints} points\n`,
          );
      }
    }
  }
}

if (values.json) {
  process.stdout.write(`${JSON.stringify({ cells }, null, 1)}\n`);
} else {
  const lines = [
    `| workload | spot pools | poolLossReserve | ${seeds.map((seed) => `seed ${seed}`).join(' | ')} | met |`,
    `|---|---|---|${seeds.map(() => '---').join('|')}|---|`,
  ];
  for (const workload of workloads)
    for (const poolCount of pools)
      for (const poolLossReserve of reserves) {
        const row = cells.filter(
          (cell) =>
            cell.workload === workload.name && cell.pools === poolCount && cell.poolLossReserve === poolLossReserve,
        );
        const shown = row.map(
          (cell) =>
            `${(cell.saving * 100).toFixed(1)} / ${cell.sloDeltaPoints >= 0 ? '+' : ''}${cell.sloDeltaPoints.toFixed(2)}${cell.met ? ' ✓' : ''}`,
        );
        lines.push(
          `| ${workload.name} | ${poolCount} | ${poolLossReserve} | ${shown.join(' | ')} | ${row.filter((cell) => cell.met).length} of ${row.length} |`,
        );
      }
  process.stdout.write(
    `Each cell: % cheaper than all on-demand / change in the share over the SLO, points (✓: ≥ 45 % and ≤ +0.5).\n\n${lines.join('\n')}\n`,
  );
}
