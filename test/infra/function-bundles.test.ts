/**
 * Every cloud function's bundle, built as it ships (tools/bench/function-build.ts: serverless.yml's esbuild
 * settings and plugins plus the runtime's line of RUNTIME_BUILDS), against issue 18's budget: what a cold
 * start loads (the entry and the chunks it imports statically) is at most 400 KB minified. Functions that do
 * not meet it yet are held at a ceiling just above their size today, so they can only shrink; the README says
 * which. And each cloud's function carries only its own cloud's SDKs, lazily loaded chunks included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunction, functionEntries } from '../../tools/bench/function-build.ts';

const root = resolve(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'tide-bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Issue 18's goal, in bytes (the stricter reading of 400 KB). */
const GOAL_BYTES = 400_000;
/**
 * Functions over the goal today, at their size when this was written rounded up to the next 5-10 KB: a
 * ceiling to lower as they shrink (never to raise without saying why in the commit).
 */
const CEILING_BYTES: Record<string, number> = {
  // aws:events meets the goal with pino back (396,720 bytes at bc5dc01): croner and the other clouds' event parsers left
  // its start-up files. These three carry pino too, under their old ceilings, lowered to their sizes now.
  // aws:api: 641,571 bytes at c6d79aa; carrying the AWS adapters (lazily: act and dry-run mode could not start
  // without them, and a deleted target gives back its Application Auto Scaling target) and the state store's
  // provider records' lazy loader took it to 647,622 (+6,051). Raised from 645,000.
  // With the recent signals and the Prometheus tick hook (15cabf9) beside them: 653,047 at their merge.
  // pino's path redaction and multistream left out (infra/plugins/esbuild-plugins.cjs, unused): 644,864. Lowered.
  'aws:api': 650_000,
  // gcp: +2-2.5 KB at 15cabf9 from the recent signals every commit keeps for the policy editor's replay (686,068);
  // pino's path redaction and multistream left out: 679,879. aws:events is held by the goal again (395,886 bytes).
  gcp: 685_000,
  // The HTTP app loaded at its first request (functions/azure/index.ts) and the Azure clients from node_modules
  // at first use; the rest is the shared runtime every cloud's function carries. The provider records in the
  // state store (operations and Azure ML moves survive a cold start, issue 15): 490,616 bytes at c6d79aa, 495,622
  // with them (+5,006). Raised from 495,000.
  // With the recent signals and the Prometheus tick hook (15cabf9) beside them: 500,508 at their merge.
  // pino's path redaction and multistream left out: 492,337. Lowered.
  // Raised to 497,000: the scale sets' instance-list reuse (adapters/azure/instance-lists.ts, +1,511 bytes) on a
  // main already at 494,042 (the core's own changes since): 495,553 bytes.
  azure: 497_000,
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
