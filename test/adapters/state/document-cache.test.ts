import { describe, expect, it } from 'vitest';
import { DocumentCache } from '../../../adapters/state/codec.ts';
import { StateCorruptError } from '../../../adapters/state/errors.ts';

/** A decoder that counts its calls and wraps the text it got. */
function decoder() {
  let calls = 0;
  const decode = (_key: string, doc: string | null, version: string | null) =>
    doc === null ? null : { value: { doc, n: ++calls }, version: Number(version) };
  return { decode, calls: () => calls };
}

describe('the parsed documents a store holds', () => {
  it('parses a document once per version, and reuses its copy when the load script leaves it out', () => {
    const cache = new DocumentCache();
    const { decode, calls } = decoder();
    const first = cache.read('k', '{"a":1}', '3', decode);
    expect(cache.read('k', '{"a":1}', '3', decode)).toBe(first);
    const held = cache.peek('k');
    expect(held?.version).toBe('3');
    // Left out at the version held: the held copy, nothing parsed.
    expect(cache.read('k', null, '3', decode, held)).toBe(first);
    expect(calls()).toBe(1);
    // A newer version comes with its document.
    expect(cache.read('k', '{"a":2}', '4', decode, held)?.value).toEqual({ doc: '{"a":2}', n: 2 });
  });

  it('answers the copy held when the load began, even if a concurrent load replaced it meanwhile', () => {
    const cache = new DocumentCache();
    const { decode } = decoder();
    const old = cache.read('k', '{"a":1}', '3', decode);
    const held = cache.peek('k');
    cache.read('k', '{"a":2}', '4', decode); // another load, answered first, saw version 4
    expect(cache.read('k', null, '3', decode, held)).toBe(old);
  });

  it('forgets a deleted document, and refuses a version without a document it does not hold', () => {
    const cache = new DocumentCache();
    const { decode } = decoder();
    cache.read('k', '{"a":1}', '3', decode);
    expect(cache.read('k', null, null, decode)).toBeNull();
    expect(cache.peek('k')).toBeUndefined();
    expect(() => cache.read('k', null, '5', decode)).toThrow(StateCorruptError);
  });
});
