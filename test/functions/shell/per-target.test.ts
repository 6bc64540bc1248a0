import { describe, expect, it } from 'vitest';
import { forEachPerKey } from '../../../functions/shell/per-target.ts';

/** Work that waits for its turn to be released by hand, recording what ran when. */
function gated() {
  const started: string[] = [];
  const finished: string[] = [];
  const gates: (() => void)[] = [];
  let running = 0;
  let maxRunning = 0;
  const work = async (item: string) => {
    started.push(item);
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    await new Promise<void>((release) => gates.push(release));
    running -= 1;
    finished.push(item);
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { started, finished, gates, work, settle, maxRunning: () => maxRunning };
}

describe('forEachPerKey', () => {
  it('runs different keys side by side and one key in order, never more keys than the limit', async () => {
    const g = gated();
    const items = ['a1', 'b1', 'c1', 'a2', 'b2', 'a3'];
    const done = forEachPerKey(items, (item) => item[0]!, 2, g.work);
    await g.settle();
    // Two keys at once (the limit), each with its first item.
    expect(g.started).toEqual(['a1', 'b1']);
    while (g.gates.length > 0) {
      g.gates.shift()!();
      await g.settle();
    }
    await done;
    expect(g.maxRunning()).toBe(2);
    expect(g.finished.filter((item) => item.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(g.finished.filter((item) => item.startsWith('b'))).toEqual(['b1', 'b2']);
    expect([...g.finished].sort()).toEqual([...items].sort());
  });

  it('runs nothing for no items', async () => {
    let calls = 0;
    await forEachPerKey(
      [],
      () => 'k',
      4,
      async () => {
        calls += 1;
      },
    );
    expect(calls).toBe(0);
  });
});
