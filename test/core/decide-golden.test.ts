import { beforeAll, describe, expect, it } from 'vitest';
import { loadCron } from '../../adapters/cron/load.ts';
import type { DecisionInput } from '../../core/index.ts';
import { digestDecisions, goldenInputs, recordedDigests } from '../../tools/bench/decide-golden.ts';

// A speed-up must not change a decision: the bench's inputs, decided again, give the recorded outputs in
// full (actions, holds, reasons, memory, cost). A change meant to change decisions rewrites the digests with
// `npx tsx tools/bench/decide-golden.ts --write` and says so (tools/bench/decide-golden.ts).
describe('decide: golden replay of the bench inputs', () => {
  let inputs: Record<string, DecisionInput[]> = {};
  beforeAll(async () => {
    await loadCron();
    inputs = goldenInputs();
  }, 60_000);
  const recorded = recordedDigests();

  it('replays every recorded input set', () =>
    expect(Object.keys(inputs).sort()).toEqual(Object.keys(recorded).sort()));

  it.each(Object.keys(recorded))(
    '%s: the same decisions as recorded',
    (name) => {
      const got = digestDecisions(inputs[name] ?? []);
      const want = recorded[name]!;
      expect(got.inputs).toBe(want.inputs);
      // Per chunk of 100 decisions, so a failure says from where the decisions differ.
      for (const [i, chunk] of got.chunks.entries())
        expect(chunk, `${name}: decisions ${i * 100}-${i * 100 + 99}`).toBe(want.chunks[i]);
    },
    60_000,
  );

  it('would see a changed decision', () => {
    const [first] = inputs.inference ?? [];
    expect(first).toBeDefined();
    const changed = { ...first!, now: first!.now + 1 };
    expect(digestDecisions([changed]).chunks[0]).not.toBe(digestDecisions([first!]).chunks[0]);
  });
});
