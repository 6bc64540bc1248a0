/**
 * `npm run fuzz [-- --json] [-- --cases N] [-- --seed S] [-- --warmup N]`: mutated provider payloads (the documented fixtures
 * in test/fixtures/events, mutated by tools/fuzz/mutate.ts with a fixed seed) through every parser, as
 * `--source auto` and as each named source, and every signal a parser gives through `decide` for an
 * inference endpoint and a training pool. Counts what escaped as an exception (from a parser or from
 * decide), parse failures that are not typed (`parser-failure`, or not an EventParseError), and the slowest
 * case (parse plus decides), in milliseconds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decide } from '../../core/decide.ts';
import { DecisionInputSchema, type DecisionInput, type Signal } from '../../core/index.ts';
import {
  DEFAULT_MAX_BYTES,
  EVENT_SOURCE_NAMES,
  EventParseError,
  parseEvent,
  type EventParseResult,
} from '../../adapters/events/index.ts';
import { Chooser, mutatePayload } from './mutate.ts';
import { loadCron } from '../../adapters/cron/load.ts';
import { loadExchangeCalendars } from '../../adapters/calendars/load.ts';

// Policies may carry cron lines (core/cron.ts reads them with croner, handed in here).
await loadCron();
await loadExchangeCalendars();

/** What a run found. */
export interface FuzzReport {
  cases: number;
  escapedExceptions: number;
  untypedErrors: number;
  /**
   * The slowest input: the 200 cases slowest at their first run are run again (3 times each) and each keeps
   * its fastest time, so a garbage collection or the scheduler of a busy machine landing on one case does not
   * pass for what that input costs. The largest of those.
   */
  slowestMs: number;
  /** The slowest single run, as first measured (pauses included). */
  slowestFirstMs: number;
  seed: number;
  /** Signals that went through decide. */
  decisions: number;
  /** The first few failures, to replay: case number, source, and what happened. */
  examples: string[];
  /** The slowest case: number, source and payload size. */
  slowestCase: string;
}

export interface FuzzOptions {
  cases: number;
  seed: number;
  fixturesDir?: string;
  /** The parser under test (tests pass a broken one to prove a failure is counted). */
  parse?: (payload: unknown, source: string, options: { receivedAt?: number }) => EventParseResult;
}

/** Every documented payload under the fixtures folder, parsed. */
export function loadFixtures(dir: string): unknown[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown);
}

const T0 = Date.parse('2026-03-09T14:00:00Z');
const pools = [
  { id: 'a100-spot', instanceType: 'p4d.24xlarge', capacityType: 'spot' },
  { id: 'a100-od', instanceType: 'p4d.24xlarge', capacityType: 'on-demand' },
] as const;
const TEMPLATES: DecisionInput[] = (['inference-endpoint', 'training-pool'] as const).map((kind) =>
  DecisionInputSchema.parse({
    now: T0,
    signal: { kind: 'schedule-tick', observedAt: T0, source: 'fuzz' },
    target: { id: `fuzz-${kind}`, kind, provider: 'aws', pools },
    policy: {
      minCapacity: 0,
      maxCapacity: 16,
      targetTracking: [{ metric: 'gpu_utilization', targetValue: 60 }],
      training: { defaultDeadlineSlackPercent: 50 },
      spendCaps: { targetUsdPerHour: 500 },
    },
    observed: {
      observedAt: T0,
      pools: pools.map((pool) => ({
        poolId: pool.id,
        instanceType: pool.instanceType,
        capacityType: pool.capacityType,
        desired: 1,
        ready: 1,
      })),
    },
  }),
);

function decideAll(signal: Signal): number {
  for (const template of TEMPLATES) {
    // `now` follows the signal (a late or early signal is the core's business), inside the instant range.
    decide({
      ...template,
      now: signal.observedAt,
      signal,
      observed: template.observed && { ...template.observed, observedAt: signal.observedAt },
    });
  }
  return TEMPLATES.length;
}

/** One generated case, kept to run it again. */
interface FuzzCase {
  n: number;
  payload: unknown;
  source: string;
  parseOptions: { receivedAt?: number };
}

/** How many of the slowest cases are run again to tell an input's own cost from a pause. */
const RETIMED = 200;

/** Run the fuzzer. */
export function runFuzz(options: FuzzOptions): FuzzReport {
  const fixtures = loadFixtures(options.fixturesDir ?? resolve('test/fixtures/events')).map((payload) => ({
    payload,
    // Every parser that reads this documented payload as it is: its mutations go to each of them.
    sources: EVENT_SOURCE_NAMES.filter((source) => parseEvent(payload, source, { receivedAt: T0 }).ok),
  }));
  const parse = options.parse ?? ((payload, source, parseOptions) => parseEvent(payload, source, parseOptions));
  const sources = ['auto', ...EVENT_SOURCE_NAMES];
  const c = new Chooser(options.seed);
  const report: FuzzReport = {
    cases: 0,
    escapedExceptions: 0,
    untypedErrors: 0,
    slowestMs: 0,
    slowestFirstMs: 0,
    seed: options.seed,
    decisions: 0,
    examples: [],
    slowestCase: '',
  };
  const note = (text: string) => {
    if (report.examples.length < 10) report.examples.push(text);
  };
  /** One case: parse, then decide on every signal; counts what went wrong when `count`. Returns its time, ms. */
  const runCase = (item: FuzzCase, count: boolean): number => {
    const { n, payload, source, parseOptions } = item;
    const started = performance.now();
    let result: EventParseResult | undefined;
    try {
      result = parse(payload, source, parseOptions);
    } catch (error) {
      if (count) {
        report.escapedExceptions += 1;
        note(`case ${n} (${source}): the parser threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
      }
    }
    if (
      count &&
      result &&
      !result.ok &&
      (!(result.error instanceof EventParseError) || result.error.code === 'parser-failure')
    ) {
      report.untypedErrors += 1;
      note(`case ${n} (${source}): untyped ${result.error.message}`);
    }
    if (result?.ok && !Array.isArray(result.event.signals)) {
      if (count) {
        report.untypedErrors += 1;
        note(
          `case ${n} (${source}): a parsed event without a signal list: ${JSON.stringify(result.event).slice(0, 300)}`,
        );
      }
    } else if (result?.ok) {
      const signals = [
        ...result.event.signals,
        ...(result.event.batch?.records.flatMap((record) => (record.ok ? record.event.signals : [])) ?? []),
      ];
      for (const { signal } of signals) {
        try {
          const decided = decideAll(signal);
          if (count) report.decisions += decided;
        } catch (error) {
          if (count) {
            report.escapedExceptions += 1;
            note(
              `case ${n} (${source}): decide threw on ${JSON.stringify(signal).slice(0, 200)}: ${(error as Error)?.message}`,
            );
          }
        }
      }
    }
    return performance.now() - started;
  };
  const slowest: (FuzzCase & { ms: number })[] = [];
  for (let n = 0; n < options.cases; n += 1) {
    const fixture = c.pick(fixtures);
    const payload = mutatePayload(c, fixture.payload, DEFAULT_MAX_BYTES);
    // Detection, the payload's own parser, and any parser at all (each must refuse what is not its own).
    const roll = c.int(0, 9);
    const source =
      roll < 3 ? 'auto' : roll < 8 && fixture.sources.length > 0 ? c.pick(fixture.sources) : c.pick(sources);
    const parseOptions = c.chance(50) ? { receivedAt: T0 } : {};
    const ms = runCase({ n, payload, source, parseOptions }, true);
    slowest.push({ ms, n, payload, source, parseOptions });
    if (slowest.length > RETIMED * 2) {
      slowest.sort((a, b) => b.ms - a.ms);
      slowest.length = RETIMED;
    }
    if (ms > report.slowestFirstMs) report.slowestFirstMs = ms;
    report.cases += 1;
  }
  slowest.sort((a, b) => b.ms - a.ms);
  for (const item of slowest.slice(0, RETIMED)) {
    const ms = Math.min(...[0, 1, 2].map(() => runCase(item, false)));
    if (ms > report.slowestMs) {
      report.slowestMs = ms;
      const text = typeof item.payload === 'string' ? item.payload : (JSON.stringify(item.payload) ?? '');
      report.slowestCase = `case ${item.n} (${item.source}, ${text.length} characters): ${text.slice(0, 160)}`;
    }
  }
  report.slowestFirstMs = Number(report.slowestFirstMs.toFixed(2));
  report.slowestMs = Number(report.slowestMs.toFixed(2));
  return report;
}

const isMain = process.argv[1] !== undefined && /fuzz-events\.(ts|mjs|js)$|bench\.mjs$/.test(process.argv[1]);
if (isMain) {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      cases: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '11' },
      warmup: { type: 'string', default: '500' },
    },
  });
  // Unmeasured warm-up with another seed: the first calls of each parser compile it (tens of ms), which says
  // nothing about the time a payload takes in a warm function.
  runFuzz({ cases: Number(values.warmup), seed: Number(values.seed) + 1 });
  const report = runFuzz({ cases: Number(values.cases), seed: Number(values.seed) });
  if (values.json) {
    const { cases, escapedExceptions, untypedErrors, slowestMs, slowestFirstMs, seed, decisions } = report;
    console.log(
      JSON.stringify({
        cases,
        escapedExceptions,
        untypedErrors,
        slowestMs,
        slowestFirstMs,
        seed,
        decisions,
        node: process.version,
      }),
    );
  } else {
    console.log(
      `${report.cases.toLocaleString('en-US')} mutated payloads (seed ${report.seed}), ${report.decisions.toLocaleString('en-US')} decisions: ${report.escapedExceptions} escaped exceptions, ${report.untypedErrors} untyped errors, slowest input ${report.slowestMs} ms (goal 0, 0, < 50 ms; slowest single run ${report.slowestFirstMs} ms)\n${report.slowestCase}`,
    );
  }
  for (const example of report.examples) console.error(example);
  if (!values.json) console.error(`slowest: ${report.slowestCase}`);
  if (report.escapedExceptions > 0 || report.untypedErrors > 0) process.exitCode = 1;
}
