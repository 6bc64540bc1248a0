/**
 * Every cloud function's bundle, built as it ships (tools/bench/function-build.ts: serverless.yml's esbuild
 * settings and plugins plus the runtime's line of RUNTIME_BUILDS), against issue 18's budget: what a cold
 * start loads (the entry and the chunks it imports statically) is at most 400 KB minified. Functions that do
 * not meet it yet are held at a ceiling just above their size today, so they can only shrink; the README says
 * which. And each cloud's function carries only its own cloud's SDKs, lazily loaded chunks included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunction, functionEntries } from '../../tools/bench/function-build.ts';

const root = resolve(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'tide-bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Issue 18's goal, in bytes (the stricter reading of 400 KB). */
const GOAL_BYTES = 400_000;
/**
 * Functions over the goal, at their size when this was written rounded up to the next 5-10 KB: a ceiling to
 * lower as they shrink (never to raise without saying why in the commit). None since session 8: every function
 * is held by the goal; the history of the last one is kept below.
 */
const CEILING_BYTES: Record<string, number> = {
  // aws:events meets the goal (377,399 bytes at the OpenAPI document's move to build time, zod's JSON Schema
  // generator left out of the bundles). gcp (381,651: its HTTP app loaded at tideHttp's first request) and azure
  // (385,057; with the scale sets' instance-list reuse, +1,511, about 386,600) meet it too now, and are
  // held by it.
  // aws:api: 644,864 bytes before; without @hono/zod-openapi at run time (the document generated at build time,
  // functions/http/openapi-document.ts), prom-client loaded at the first metric and zod's JSON Schema generator
  // left out: 431,726. Lowered from 650,000. Raised to 438,000 for the look-ahead rule (core/strategies/look-ahead.ts,
  // issue 17), which every function carries (the core is in each): 437,152 with it. Raised to 441,000 for the
  // hand-read EventBridge CloudWatch alarm (adapters/events/aws/cloudwatch-alarm.ts, +3,063 bytes minified:
  // about 10 µs less CPU per alarm webhook and per SQS record than the zod schemas, issue 12's p99):
  // 440,178 with it. Lowered to 437,000 with the other clouds' sender checks (Pub/Sub, Event Grid, Entra ID)
  // loaded at their first request: 436,258. Raised to 441,000 for the spot notice rules of issue 17 section 5
  // (core/strategies/ml/noticed.ts: a noticed inference replica serves until the provider's deadline; a pool being
  // reclaimed skipped; no scale-in while returning to spot; about +4,500 bytes minified in every function, their
  // reasons included): 440,758 with them. Raised to 442,000 for decide's inference hot path (issue 18's 200k
  // decisions/s: the input's fields read once by for…in, the memory copied field by field, one copy of a metric's
  // samples; +620 bytes minified in every function, after -449 found in metric-samples.ts; about a third less
  // CPU per decision): 441,378 with it. Raised to 442,500 for TIDE_RATE_LIMIT (functions/http/context.ts:
  // apiOptionsFromEnv, the per-key rate limit of the deployed HTTP functions, which had none to set; +323 bytes):
  // 442,292 with it. Lowered to 416,000 with the API app on hono/tiny (-5,956), the memory stores loaded at their
  // first call (-5,168) and the webhooks' parsers loaded at their format's first payload (-15,455): 415,713.
  // Raised to 421,500 for the pool-loss cover of issue 17 section 5 (core/strategies/ml/pool-loss.ts: spare spot
  // replicas over pools, on-demand while one pool is usable, make-before-break moves; spot.poolLossReserve and
  // spot.onePoolOnDemandShare; +5,340 bytes minified in every function, reasons included): 421,053 with it.
  // Dropped with the decision core loaded at the first request that decides (functions/shell/decider.ts, -86,419
  // with the pool-loss cover in it): 334,634 at start, and aws:api is held by the goal like the others.
};

/**
 * Modules a function loads on demand only, never at its cold start, by function (`*`: every function): the
 * memory stores (every function deploys with Redis or Upstash), the exchanges' rules (loaded for a policy that
 * names an exchange) and, in the AWS HTTP API, the webhooks' parsers and the decision core.
 */
const ON_DEMAND: Record<string, readonly RegExp[]> = {
  '*': [
    /^adapters\/state\/memory-store\.ts$/,
    /^adapters\/state\/access-memory\.ts$/,
    /^core\/calendars\/(rules|united-states|europe|japan|hong-kong|hong-kong-lunar)\.ts$/,
  ],
  'aws:api': [
    /^core\/decide(-steps)?\.ts$/,
    /^adapters\/events\/aws\/(sqs|sns|envelope|cloudwatch-alarm|ec2|sagemaker|scheduled-event)\.ts$/,
    /^adapters\/events\/(alertmanager|cloudevents|schedule-tick)\.ts$/,
  ],
};

/** SDK packages by cloud; a function may bundle its own cloud's only. */
const SDKS: Record<string, RegExp> = {
  aws: /node_modules\/@aws-sdk\//,
  gcp: /node_modules\/(@google-cloud\/(compute|container|aiplatform|monitoring)|google-auth-library|google-gax)\//,
  azure: /node_modules\/@azure\/(arm-|identity|monitor-query)/,
};

const entries = functionEntries(root);

describe('function bundles', () => {
  it('finds the AWS and GCP functions', () => {
    expect(entries.map((fn) => fn.name)).toEqual(expect.arrayContaining(['aws:events', 'aws:api', 'gcp']));
  });

  for (const fn of entries) {
    it(`${fn.name}: at most ${GOAL_BYTES.toLocaleString('en-US')} bytes at start (or under its ceiling), only its cloud's SDKs`, {
      timeout: 60_000,
    }, async () => {
      const bundle = await bundleFunction(root, fn.entry, join(out, fn.name.replace(/[^a-z0-9-]/gi, '-')), fn.build);
      const limit = CEILING_BYTES[fn.name] ?? GOAL_BYTES;
      expect(bundle.initialBytes, `${fn.name}: ${bundle.initialBytes} bytes at start`).toBeLessThanOrEqual(limit);
      const initial = new Set(bundle.files.filter((file) => file.initial).map((file) => file.path));
      const atStart = Object.entries(bundle.metafile.outputs)
        .filter(([path]) => initial.has(relative(root, resolve(root, path))))
        .flatMap(([, output]) => Object.keys(output.inputs));
      const onDemand = [...(ON_DEMAND['*'] ?? []), ...(ON_DEMAND[fn.name] ?? [])];
      expect(
        atStart.filter((input) => onDemand.some((pattern) => pattern.test(input))),
        `${fn.name} loads at start what it should load on demand`,
      ).toEqual([]);
      const cloud = fn.name.split(':')[0]!;
      const inputs = Object.keys(bundle.metafile.inputs);
      for (const [other, pattern] of Object.entries(SDKS)) {
        if (other === cloud) continue;
        expect(
          inputs.filter((input) => pattern.test(input)),
          `${fn.name} bundles ${other}'s SDK`,
        ).toEqual([]);
      }
    });
  }
});
