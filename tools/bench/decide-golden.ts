/**
 * The golden replay of `decide` (test/core/decide-golden.test.ts): the decide bench's inputs, decided again,
 * each decision's full output (actions, holds, reasons, memory, cost) as JSON, digested per 100 decisions.
 * A change that should not change any decision (a speed-up) must keep every digest; one that means to
 * change decisions rewrites them, and says so in its commit:
 *
 *   npx tsx tools/bench/decide-golden.ts --write                  # rewrite test/fixtures/decide-golden.json
 *   npx tsx tools/bench/decide-golden.ts --spot-inputs FILE       # re-sample the spot inputs from a recording
 *                                                                 # (npm run bench:spot -- --seed 1 --record FILE)
 *
 * Inputs: `inference`, `many-pools` (fewer inputs than the bench) and `plans` are built by
 * ./decide-inputs.ts; `training-spot` is a sample of the spot bench's recorded week (seed 1: every input
 * that is not a tick and the two after it, and every 40th tick), kept in test/fixtures/decide-golden-spot.jsonl.gz
 * so that the simulator can change without changing what is replayed. Every input is parsed by
 * DecisionInputSchema, as the shell parses it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { decide } from '../../core/decide.ts';
import { DecisionInputSchema, type DecisionInput } from '../../core/index.ts';
import { inferenceInputs, manyPoolsInputs, plansInputs } from './decide-inputs.ts';

const FIXTURE = new URL('../../test/fixtures/decide-golden.json', import.meta.url);
const SPOT_FIXTURE = new URL('../../test/fixtures/decide-golden-spot.jsonl.gz', import.meta.url);
const CHUNK = 100;

/** Digests of one input set's decisions: one per {@link CHUNK} decisions, in order. */
export interface GoldenDigests {
  inputs: number;
  chunks: string[];
}

/** The replayed input sets, by name. Croner must be loaded (adapters/cron/load.ts) before. */
export function goldenInputs(): Record<string, DecisionInput[]> {
  const spot = gunzipSync(readFileSync(SPOT_FIXTURE))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => DecisionInputSchema.parse(JSON.parse(line)));
  return {
    inference: inferenceInputs(1000),
    'training-spot': spot,
    'many-pools': manyPoolsInputs(20),
    plans: plansInputs(),
  };
}

/** Decide every input and digest the full outputs. */
export function digestDecisions(inputs: readonly DecisionInput[]): GoldenDigests {
  const chunks: string[] = [];
  for (let from = 0; from < inputs.length; from += CHUNK) {
    const hash = createHash('sha256');
    for (const input of inputs.slice(from, from + CHUNK)) hash.update(`${JSON.stringify(decide(input))}\n`);
    chunks.push(hash.digest('hex').slice(0, 16));
  }
  return { inputs: inputs.length, chunks };
}

/** The digests kept in test/fixtures/decide-golden.json. */
export function recordedDigests(): Record<string, GoldenDigests> {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, GoldenDigests>;
}

/** Every `every`-th tick, and every other input with the two after it: where the decisions happen. */
function sampleSpotInputs(lines: readonly string[], every = 40): string[] {
  const keep = new Set<number>();
  lines.forEach((line, i) => {
    const kind = (JSON.parse(line) as { signal: { kind: string } }).signal.kind;
    if (kind !== 'schedule-tick') for (let j = i; j < Math.min(i + 3, lines.length); j += 1) keep.add(j);
    else if (i % every === 0) keep.add(i);
  });
  return [...keep].sort((a, b) => a - b).map((i) => lines[i]!);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { write: { type: 'boolean' }, 'spot-inputs': { type: 'string' } } });
  const { loadCron } = await import('../../adapters/cron/load.ts');
  await loadCron();
  const { loadExchangeCalendars } = await import('../../adapters/calendars/load.ts');
  await loadExchangeCalendars();
  if (values['spot-inputs']) {
    const lines = readFileSync(values['spot-inputs'], 'utf8')
      .split('\n')
      .filter((line) => line.length > 0);
    const sample = sampleSpotInputs(lines);
    writeFileSync(SPOT_FIXTURE, gzipSync(`${sample.join('\n')}\n`, { level: 9 }));
    console.log(`${sample.length} of ${lines.length} spot inputs kept`);
  }
  const digests = Object.fromEntries(
    Object.entries(goldenInputs()).map(([name, inputs]) => [name, digestDecisions(inputs)]),
  );
  if (values.write || values['spot-inputs']) writeFileSync(FIXTURE, `${JSON.stringify(digests, null, 2)}\n`);
  else {
    const recorded = recordedDigests();
    for (const [name, got] of Object.entries(digests)) {
      const want = recorded[name];
      const first = got.chunks.findIndex((chunk, i) => chunk !== want?.chunks[i]);
      console.log(
        `${name}: ${got.inputs} decisions, ${first < 0 && got.inputs === want?.inputs ? 'as recorded' : `differ from decision ${Math.max(0, first) * CHUNK}`}`,
      );
    }
  }
}
