import { constants } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MAX_TRACE_BYTES, readBounded, terminalSafe } from '../read-input.ts';
import { parseArgs } from 'node:util';
import { PolicySchema, formatProblem, parseDocument } from '../../../core/index.ts';
import { runComparison, DEFAULT_SLO_MS, type ComparisonReport } from '../../../simulator/comparison.ts';
import { checkGoal } from '../../../simulator/goal.ts';
import { ProgressBar } from '../../../simulator/progress-bar.ts';
import { renderSvg } from '../../../simulator/render-svg.ts';
import { renderTable } from '../../../simulator/render-table.ts';
import { DEFAULT_SUITE, renderSuiteMarkdown, runSuite, STAND_IN_SUITE, suiteJson } from '../../../simulator/suite.ts';
import { TIDE_DELIVERY_DEFAULTS } from '../../../simulator/tide.ts';
import { parseTrace, TraceFormatError, type Trace } from '../../../simulator/trace.ts';
import { findWorkload, WORKLOADS } from '../../../simulator/workloads.ts';
import { UsageError, type CliCommand, type CliIo } from '../command.ts';
import { readJsonDocument } from '../read-document.ts';

const USAGE = `tide simulate [--trace FILE | --workload NAME | --suite [--stand-ins]] [--seed N] [--policy FILE] [--slo-ms N] [--json] [--svg FILE]
                [--spot [--spot-pools N] [--tide-pool-loss-reserve F]] [--boot-seconds N] [--utilization F] [--metric-period N] [--metric-delay N]
                [--metric in-flight|offered] [--tide-metric in-flight|offered] [--plan-less-baselines]
                [--fixed-boot] [--resize-while-updating] [--oracle] [--frontier] [--tide-boot-aware]
                [--no-tide-look-ahead] [--tide-keep-through-lull] [--tide-keep-above-noise Z] [--tide-queueing] [--tide-predictive]

Replays a request trace through Tide's decision core and through static-peak, Kubernetes HPA, AWS target
tracking, KEDA and Knative KPA on the same simulated cloud, and compares cost and latency with each other
and with a hindsight oracle (a clairvoyant schedule replayed through the same cloud).
With no arguments: the bundled Azure conversation trace.

  --trace FILE       CSV: TIMESTAMP[,ContextTokens,GeneratedTokens] (header optional)
  --workload NAME    ${WORKLOADS.map((workload) => workload.name).join(', ')}
  --seed N           seed of every random process (spot market, synthetic workloads); default 1
  --policy FILE      Tide policy document (JSON) instead of the default inference policy
  --slo-ms N         time-to-first-token SLO in ms; default ${DEFAULT_SLO_MS}
  --json             print one JSON object (runs: one entry per autoscaler)
  --svg FILE         write a chart of demand, capacity and latency over time
  --spot             buy every replica as spot (seeded interruptions); Tide spreads its replicas over two
                     spot pools with an on-demand fallback and is also run all on-demand to compare
  --boot-seconds N   median boot delay of a replica; default 525 (SageMaker GPU instance)
  --fixed-boot       every boot takes exactly --boot-seconds (default: drawn per launch from a seeded
                     log-normal around it, sigma 0.2, clipped to 0.49-2 x; see docs/simulator.md)
  --resize-while-updating  accept every resize at once (default: as SageMaker, a resize is refused while
                     the endpoint is Updating, i.e. while a replica of an earlier one boots, for every
                     autoscaler alike; on-demand runs only)
  --utilization F    share of a replica's request slots every autoscaler aims at; default 0.7
  --metric-period N  seconds each metric datapoint Tide receives covers; default 10
  --metric-delay N   seconds after its period a datapoint reaches Tide; default 10
  --metric M         load metric every autoscaler reads: in-flight requests per replica (waiting +
                     served; default) or offered load per replica (arrivals × service time, no queue)
  --tide-metric M    the same for Tide alone; default: offered (aiming at 60 % of the slots; in-flight
                     aims at --utilization, as the baselines do)
  --plan-less-baselines  no KEDA cron trigger nor AWS scheduled actions for Tide's plans (trading-day);
                     default: the baselines get the same windows (the -plan-less variants run either way)
  --oracle           print the hindsight oracle's breakdown in the table (--json always has oracle)
  --suite            replay issue 17's suite (conversation, code, trading-day seeds 1-5) and print the
                     cost ÷ oracle and SLO table (Markdown; --json: one object) with the goal
  --spot-pools N     with --spot: the spot pools Tide spreads over (2 to 8); default 2
  --tide-pool-loss-reserve F
                     with --spot: Tide's spot.poolLossReserve, the share of the need that stays after any one
                     spot pool is lost (0 to 1); default the policy's 0.5 (npm run sweep:spot-inference)
  --stand-ins        with --suite: also our stand-ins for the issue's hidden workloads (step and swell
                     seeds 1-2, the diurnal week seed 1; our own generators, simulator/synthetic.ts)
  --tide-boot-aware  give Tide's policy the replicas' boot time (replicaBootSeconds): it scales out only
                     for demand that lasts as long as a boot, without burst mode (cheaper, slower)
  --no-tide-look-ahead  Tide's policy without its look-ahead (lookAhead: a scale-out buys for the demand
                     one median boot ahead, the trend's and a plan's opening within it)
  --tide-keep-through-lull  with the look-ahead, Tide scales in no lower than the highest demand of the
                     last median boot (lookAhead.keepThroughLull; off by default: dearer, fewer late requests)
  --tide-keep-above-noise Z  the keep through a lull (implied) holds only the part of the horizon's peak that
                     noise does not explain: the peak less Z standard deviations of one 10-s demand point's
                     noise, measured from the points themselves (lookAhead.keepAboveNoise)
  --tide-queueing    Tide sizes by an Erlang C model of offered load (targetTracking[].queueing: the trace's
                     mean service time, a wait of the SLO less the mean prefill, p99) instead of 60 % of slots
  --tide-predictive  Tide also learns a daily profile of its demand and, after a day of history, holds a
                     floor of its forecast one median boot ahead (predictive.mode forecast-and-scale)
  --frontier         also replay constant capacities 1 … static-peak's size, and say which is the
                     cheapest that keeps the best baseline's SLO (what the workload allows)`;

function positiveInteger(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new UsageError(`${flag} must be a positive whole number, was: "${value}"`);
  return Number(value);
}

/** The file can be created: its directory exists and is writable (a usage error now, not ENOENT later). */
async function writableTarget(file: string): Promise<void> {
  const directory = dirname(resolve(file));
  try {
    await access(directory, constants.W_OK);
  } catch (error) {
    throw new UsageError(
      `--svg ${terminalSafe(file, 200)}: cannot write to ${terminalSafe(directory, 200)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

async function loadTrace(
  trace: string | undefined,
  workloadName: string | undefined,
  seed: number,
): Promise<{ trace: Trace; plans?: unknown[] }> {
  if (trace !== undefined && workloadName !== undefined) throw new UsageError('give --trace or --workload, not both');
  if (trace !== undefined) {
    // Bounded while streaming; csv-parse drops a byte-order mark.
    const text = (await readBounded(trace, MAX_TRACE_BYTES)).toString('utf8');
    return { trace: parseTrace(text, trace) };
  }
  const name = workloadName ?? 'conversation';
  const workload = findWorkload(name);
  if (!workload)
    throw new UsageError(`unknown workload "${name}"; known: ${WORKLOADS.map((known) => known.name).join(', ')}`);
  return { trace: await workload.load(seed), ...(workload.plans ? { plans: workload.plans } : {}) };
}

/** The JSON `tide simulate --json` prints: settings, the goal check, and one entry per autoscaler. */
export function reportJson(report: ComparisonReport): object {
  const { neededPerMinute: _perMinute, ...workload } = report.workload;
  const { tidePolicy, ...settings } = report.settings;
  const oracleCost = report.oracle?.costUsd;
  const overOracle = (cost: number) =>
    oracleCost && oracleCost > 0 ? Math.round((cost / oracleCost) * 1000) / 1000 : null;
  return {
    workload,
    settings: { ...settings, tidePolicy },
    oracle: report.oracle ?? null,
    goal: checkGoal(report.runs, oracleCost) ?? null,
    runs: report.runs.map(({ perMinute: _series, ...run }) => ({ ...run, costOverOracle: overOracle(run.costUsd) })),
    ...(report.frontier ? { frontier: report.frontier.map(({ perMinute: _series, ...run }) => run) } : {}),
    ...(report.spot ? { spot: report.spot } : {}),
  };
}

/** `tide simulate`: the README's main command. */
export const simulateCommand: CliCommand = {
  name: 'simulate',
  usage: USAGE,
  async run(args: string[], io: CliIo) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        trace: { type: 'string' },
        workload: { type: 'string' },
        seed: { type: 'string' },
        policy: { type: 'string' },
        'slo-ms': { type: 'string' },
        json: { type: 'boolean', default: false },
        svg: { type: 'string' },
        spot: { type: 'boolean', default: false },
        'boot-seconds': { type: 'string' },
        utilization: { type: 'string' },
        'metric-period': { type: 'string' },
        'metric-delay': { type: 'string' },
        metric: { type: 'string' },
        'baseline-schedules': { type: 'boolean', default: false },
        'plan-less-baselines': { type: 'boolean', default: false },
        'fixed-boot': { type: 'boolean', default: false },
        'resize-while-updating': { type: 'boolean', default: false },
        oracle: { type: 'boolean', default: false },
        suite: { type: 'boolean', default: false },
        'stand-ins': { type: 'boolean', default: false },
        'spot-pools': { type: 'string' },
        'tide-pool-loss-reserve': { type: 'string' },
        'tide-metric': { type: 'string' },
        frontier: { type: 'boolean', default: false },
        'tide-boot-aware': { type: 'boolean', default: false },
        'no-tide-look-ahead': { type: 'boolean', default: false },
        'tide-keep-through-lull': { type: 'boolean', default: false },
        'tide-keep-above-noise': { type: 'string' },
        'tide-queueing': { type: 'boolean', default: false },
        'tide-predictive': { type: 'boolean', default: false },
      },
    });
    void positionals;
    const seed = values.seed === undefined ? 1 : Number(values.seed);
    if (values.seed !== undefined && !/^\d+$/.test(values.seed))
      throw new UsageError(`--seed must be a whole number, was: "${values.seed}"`);
    const sloMs = positiveInteger(values['slo-ms'], '--slo-ms', DEFAULT_SLO_MS);
    const spotPools = positiveInteger(values['spot-pools'], '--spot-pools', 2);
    if (spotPools < 2 || spotPools > 8)
      throw new UsageError(`--spot-pools must be 2 to 8, was: "${values['spot-pools']}"`);
    const bootSeconds =
      values['boot-seconds'] === undefined ? undefined : positiveInteger(values['boot-seconds'], '--boot-seconds', 525);
    const reserveText = values['tide-pool-loss-reserve'];
    const poolLossReserve = reserveText === undefined ? undefined : Number(reserveText);
    if (poolLossReserve !== undefined && !(reserveText!.trim() !== '' && poolLossReserve >= 0 && poolLossReserve <= 1))
      throw new UsageError(`--tide-pool-loss-reserve must be a number from 0 to 1, was: "${reserveText}"`);
    if (poolLossReserve !== undefined && !values.spot) throw new UsageError('--tide-pool-loss-reserve needs --spot');
    const utilization = values.utilization === undefined ? undefined : Number(values.utilization);
    if (utilization !== undefined && !(utilization > 0 && utilization <= 1)) {
      throw new UsageError(`--utilization must be a number in (0, 1], was: "${values.utilization}"`);
    }
    const periodSeconds = positiveInteger(
      values['metric-period'],
      '--metric-period',
      TIDE_DELIVERY_DEFAULTS.periodSeconds,
    );
    const delaySeconds =
      values['metric-delay'] === '0'
        ? 0
        : positiveInteger(values['metric-delay'], '--metric-delay', TIDE_DELIVERY_DEFAULTS.delaySeconds);
    const metric = values.metric ?? 'in-flight';
    if (metric !== 'in-flight' && metric !== 'offered')
      throw new UsageError(`--metric must be in-flight or offered, was: "${metric}"`);
    const tideMetric = values['tide-metric'] ?? 'offered';
    if (tideMetric !== 'in-flight' && tideMetric !== 'offered')
      throw new UsageError(`--tide-metric must be in-flight or offered, was: "${tideMetric}"`);
    if (values['tide-keep-through-lull'] && values['no-tide-look-ahead'])
      throw new UsageError('--tide-keep-through-lull is part of the look-ahead: give it without --no-tide-look-ahead');
    const keepAboveNoise =
      values['tide-keep-above-noise'] === undefined ? undefined : Number(values['tide-keep-above-noise']);
    if (keepAboveNoise !== undefined && !(keepAboveNoise >= 0 && keepAboveNoise <= 10))
      throw new UsageError(
        `--tide-keep-above-noise must be a number of standard deviations from 0 to 10, was: "${values['tide-keep-above-noise']}"`,
      );
    if (keepAboveNoise !== undefined && values['no-tide-look-ahead'])
      throw new UsageError('--tide-keep-above-noise is part of the look-ahead: give it without --no-tide-look-ahead');
    if (values['tide-queueing'] && tideMetric !== 'offered')
      throw new UsageError('--tide-queueing models offered load: give it without --tide-metric in-flight');
    if (values.suite) {
      if (values.trace !== undefined || values.workload !== undefined || values.svg !== undefined)
        throw new UsageError('--suite replays its own workloads: give it without --trace, --workload or --svg');
      const suiteBar = new ProgressBar((text) => process.stderr.write(text), io.isTty && Boolean(process.stderr.isTTY));
      const suite = await runSuite(
        values['stand-ins'] ? [...DEFAULT_SUITE, ...STAND_IN_SUITE] : DEFAULT_SUITE,
        {
          sloMs,
          capacityType: values.spot ? 'spot' : 'on-demand',
          ...(bootSeconds !== undefined ? { bootSeconds } : {}),
          ...(utilization !== undefined ? { targetUtilization: utilization } : {}),
          delivery: { periodSeconds, delaySeconds },
          metric,
          tideMetric,
          baselineSchedules: !values['plan-less-baselines'],
          fixedBoot: values['fixed-boot'],
          refuseWhileUpdating: !values['resize-while-updating'],
          tideBootAware: values['tide-boot-aware'],
          tideLookAhead: !values['no-tide-look-ahead'],
          tideKeepThroughLull: values['tide-keep-through-lull'],
          ...(keepAboveNoise !== undefined ? { tideKeepAboveNoise: keepAboveNoise } : {}),
          tideQueueing: values['tide-queueing'],
          tidePredictive: values['tide-predictive'],
        },
        (label, index, count) => suiteBar.update(index / count, `${label} (${index + 1}/${count})`),
      );
      suiteBar.done();
      io.out(values.json ? JSON.stringify(suiteJson(suite), null, 2) : renderSuiteMarkdown(suite));
      return 0;
    }
    let loaded: Awaited<ReturnType<typeof loadTrace>>;
    try {
      // Where the chart goes is checked before a run of minutes, not after it.
      if (values.svg !== undefined) await writableTarget(values.svg);
      loaded = await loadTrace(values.trace, values.workload, seed);
    } catch (error) {
      if (!(error instanceof TraceFormatError)) throw error;
      io.err(`tide simulate: ${error.message}`);
      return 2;
    }
    let policy: unknown;
    if (values.policy !== undefined) {
      const document = await readJsonDocument(values.policy, readFile);
      const parsed = parseDocument(PolicySchema, document, 'policy');
      if (!parsed.ok) {
        io.err(`${values.policy}: ${parsed.error.problems.length} error(s)`);
        for (const problem of parsed.error.problems) io.err(`  ${formatProblem(problem)}`);
        return 2;
      }
      policy = document;
    }
    const bar = new ProgressBar((text) => process.stderr.write(text), io.isTty && Boolean(process.stderr.isTTY));
    const report = await runComparison({
      trace: loaded.trace,
      seed,
      sloMs,
      ...(policy !== undefined ? { policy } : {}),
      ...(loaded.plans ? { plans: loaded.plans } : {}),
      capacityType: values.spot ? 'spot' : 'on-demand',
      spotPools,
      ...(poolLossReserve !== undefined ? { tideSpot: { poolLossReserve } } : {}),
      ...(bootSeconds !== undefined ? { bootSeconds } : {}),
      ...(utilization !== undefined ? { targetUtilization: utilization } : {}),
      delivery: { periodSeconds, delaySeconds },
      metric,
      tideMetric,
      baselineSchedules: !values['plan-less-baselines'],
      fixedBoot: values['fixed-boot'],
      refuseWhileUpdating: !values['resize-while-updating'],
      frontier: values.frontier,
      tideBootAware: values['tide-boot-aware'],
      tideLookAhead: !values['no-tide-look-ahead'],
      tideKeepThroughLull: values['tide-keep-through-lull'],
      ...(keepAboveNoise !== undefined ? { tideKeepAboveNoise: keepAboveNoise } : {}),
      tideQueueing: values['tide-queueing'],
      tidePredictive: values['tide-predictive'],
      onProgress: (run, index, count, done, total) =>
        bar.update((index + done / total) / count, `${run} (${index + 1}/${count})`),
    });
    bar.done();
    if (values.svg !== undefined) await writeFile(values.svg, renderSvg(report), 'utf8');
    if (values.json) io.out(JSON.stringify(reportJson(report), null, 2));
    else
      io.out(
        renderTable(report, { oracle: values.oracle }) +
          (values.svg !== undefined ? `\n\nchart written to ${values.svg}` : ''),
      );
    return 0;
  },
};
