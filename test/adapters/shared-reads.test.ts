import { describe, expect, it } from 'vitest';
import { SharedReads } from '../../adapters/shared-reads.ts';

/** A load that answers 1, 2, 3… and counts its calls; `fail` makes the next call reject. */
function counter() {
  let calls = 0;
  let fail = false;
  const load = async () => {
    calls += 1;
    if (fail) {
      fail = false;
      throw new Error(`read ${calls} failed`);
    }
    return calls;
  };
  return {
    load,
    get calls() {
      return calls;
    },
    failNext() {
      fail = true;
    },
  };
}

/** A load whose answers the test releases. */
function deferred<T>() {
  const pending: ((value: T) => void)[] = [];
  return {
    load: () => new Promise<T>((resolve) => pending.push(resolve)),
    release: (value: T) => pending.shift()?.(value),
    get waiting() {
      return pending.length;
    },
  };
}

describe('SharedReads', () => {
  it.each([
    { label: 'younger than the max age: shared', after: 999, maxAgeMs: 1_000, answer: 1, calls: 1 },
    { label: 'as old as the max age: read again', after: 1_000, maxAgeMs: 1_000, answer: 2, calls: 2 },
    { label: 'max age 0: always read', after: 0, maxAgeMs: 0, answer: 2, calls: 2 },
  ])('$label', async ({ after, maxAgeMs, answer, calls }) => {
    let now = 0;
    const reads = new SharedReads({ now: () => now });
    const source = counter();
    expect(await reads.read('r', maxAgeMs, source.load)).toBe(1);
    now = after;
    expect(await reads.read('r', maxAgeMs, source.load)).toBe(answer);
    expect(source.calls).toBe(calls);
  });

  it('shares a read in flight (single flight), per resource', async () => {
    const reads = new SharedReads({ now: () => 0 });
    const source = deferred<string>();
    const first = reads.read('a', 1_000, source.load);
    const second = reads.read('a', 1_000, source.load);
    const other = reads.read('b', 1_000, source.load);
    expect(source.waiting).toBe(2);
    source.release('a1');
    source.release('b1');
    expect(await Promise.all([first, second, other])).toEqual(['a1', 'a1', 'b1']);
  });

  it('forgets on write: a read after the change, or one that overlapped it, is not kept', async () => {
    const reads = new SharedReads({ now: () => 0 });
    const source = counter();
    await reads.read('r', 1_000, source.load);
    await reads.changing('r', async () => {
      expect(await reads.read('r', 1_000, source.load)).toBe(2); // read during the change…
    });
    expect(await reads.read('r', 1_000, source.load)).toBe(3); // …not kept after it
    reads.forget('r');
    expect(await reads.read('r', 1_000, source.load)).toBe(4);
    await expect(reads.changing('r', async () => Promise.reject(new Error('throttled')))).rejects.toThrow('throttled');
    expect(await reads.read('r', 1_000, source.load)).toBe(5);
  });

  it('a change to a resource several kept answers describe forgets each of them', async () => {
    const reads = new SharedReads({ now: () => 0 });
    const set = counter();
    const list = counter();
    const other = counter();
    await Promise.all([reads.read('set', 1_000, set.load), reads.read('list', 1_000, list.load)]);
    await reads.read('other', 1_000, other.load);
    await reads.changing(['set', 'list'], async () => {});
    expect(await reads.read('set', 1_000, set.load)).toBe(2);
    expect(await reads.read('list', 1_000, list.load)).toBe(2);
    expect(await reads.read('other', 1_000, other.load)).toBe(1); // kept: not part of the change
  });

  it('never keeps a failure: the callers in flight share it, the next read tries again', async () => {
    const reads = new SharedReads({ now: () => 0 });
    const source = counter();
    source.failNext();
    const [a, b] = [reads.read('r', 1_000, source.load), reads.read('r', 1_000, source.load)];
    await expect(a).rejects.toThrow('read 1 failed');
    await expect(b).rejects.toThrow('read 1 failed');
    expect(await reads.read('r', 1_000, source.load)).toBe(2);
  });

  it('keeps only the answers `keep` accepts (shared while in flight either way)', async () => {
    const reads = new SharedReads({ now: () => 0 });
    const source = deferred<{ steady: boolean; n: number }>();
    const keep = (answer: { steady: boolean }) => answer.steady;
    const [a, b] = [reads.read('r', 1_000, source.load, { keep }), reads.read('r', 1_000, source.load, { keep })];
    source.release({ steady: false, n: 1 });
    expect((await a).n).toBe(1);
    expect((await b).n).toBe(1);
    const c = reads.read('r', 1_000, source.load, { keep }); // not kept: read again
    source.release({ steady: true, n: 2 });
    expect((await c).n).toBe(2);
    expect((await reads.read('r', 1_000, source.load, { keep })).n).toBe(2); // kept
    expect(source.waiting).toBe(0);
  });

  it('reads again when `valid` rejects the kept answer, once for the readers that found it', async () => {
    const reads = new SharedReads({ now: () => 0 });
    const source = counter();
    let signature = 'etag-1';
    const kept = new Map<number, string>();
    const load = async () => {
      const n = await source.load();
      kept.set(n, signature);
      return n;
    };
    const valid = (answer: number) => kept.get(answer) === signature;
    expect(await reads.read('r', 1_000, load, { valid })).toBe(1);
    expect(await reads.read('r', 1_000, load, { valid })).toBe(1);
    signature = 'etag-2';
    const again = await Promise.all([1, 2, 3].map(() => reads.read('r', 1_000, load, { valid })));
    expect(again).toEqual([2, 2, 2]);
    expect(source.calls).toBe(2);
  });

  it('keeps at most maxEntries resources, dropping the oldest first', async () => {
    const reads = new SharedReads({ now: () => 0, maxEntries: 2 });
    const source = counter();
    for (const key of ['a', 'b', 'c']) await reads.read(key, 1_000, source.load);
    expect(await reads.read('c', 1_000, source.load)).toBe(3);
    expect(await reads.read('b', 1_000, source.load)).toBe(2);
    expect(await reads.read('a', 1_000, source.load)).toBe(4);
  });
});
