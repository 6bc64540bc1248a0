/**
 * Seeded mutations of JSON payloads for the parser fuzzer: fields dropped, retyped, renamed after
 * Object.prototype members, strings cut or blown up toward the payload limit, numbers pushed to the edges,
 * JSON embedded in strings (an SNS Message, an SQS body) mutated in place, and the text itself cut or
 * corrupted. Deterministic for a seed (pure-rand), so a failing case can be replayed.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

type Rng = ReturnType<typeof xoroshiro128plus>;

/** A seeded source of choices. */
export class Chooser {
  private readonly rng: Rng;
  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed);
  }
  /** An integer in [from, to]. */
  int(from: number, to: number): number {
    return uniformInt(this.rng, from, to);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }
  chance(percent: number): boolean {
    return this.int(0, 99) < percent;
  }
}

const PROTO_KEYS = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'prototype'];
const EDGE_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.5,
  1e11,
  1e15,
  8.64e15,
  8640000000000001,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  5e-324,
  1e308,
  253402300799999,
];
const EDGE_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u001b[31m',
  'constructor',
  '__proto__',
  'NaN',
  'Infinity',
  '-1',
  '1e400',
  '{',
  '[]',
  'null',
  '2026-02-30T25:61Z',
  '2026-03-09T13:30:00Z',
  '+275760-09-13T00:00:00.001Z',
  'Mon, 19 Sep 2016 18:29:47 GMT',
  'datapoints [',
  'the threshold (',
  'ALARM',
  'OK',
  'INSUFFICIENT_DATA',
  '\ufeff{}',
  'é'.repeat(3),
  'aGVsbG8=',
];

function randomValue(c: Chooser, depth: number): unknown {
  switch (c.int(0, 7)) {
    case 0:
      return null;
    case 1:
      return c.pick(EDGE_NUMBERS);
    case 2:
      return c.pick(EDGE_STRINGS);
    case 3:
      return c.chance(50);
    case 4:
      return depth > 3 ? [] : [randomValue(c, depth + 1)];
    case 5:
      return depth > 3 ? {} : { [c.pick(PROTO_KEYS)]: randomValue(c, depth + 1) };
    case 6:
      return c.int(-1000, 1000);
    default:
      return 'x'.repeat(c.int(0, 64));
  }
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

/** Paths to every value inside `root` (containers included), at most `limit`. */
function paths(root: unknown, limit = 400): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (out.length >= limit) return;
    out.push(path);
    if (Array.isArray(value)) for (const [i, item] of value.entries()) walk(item, [...path, i]);
    else if (isContainer(value))
      for (const key of Object.keys(value)) walk((value as Record<string, unknown>)[key], [...path, key]);
  };
  walk(root, []);
  return out;
}

function getAt(root: unknown, path: readonly (string | number)[]): unknown {
  let value = root;
  for (const key of path) value = isContainer(value) ? (value as Record<string | number, unknown>)[key] : undefined;
  return value;
}

/** Mutate one string: cut, blow up, corrupt, or (when it is JSON) mutate what it holds. */
function mutateString(c: Chooser, text: string, maxBytes: number): unknown {
  const trimmed = text.trimStart();
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && c.chance(70)) {
    try {
      return JSON.stringify(mutateJson(c, JSON.parse(text), maxBytes, 1));
    } catch {
      // not JSON after all: mutate it as text
    }
  }
  switch (c.int(0, 5)) {
    case 0:
      return text.slice(0, c.int(0, text.length));
    case 1: {
      // Toward the payload limit: a long run of a piece of the text or of a parser's keyword.
      const piece = c.chance(50)
        ? text.slice(0, c.int(1, Math.max(1, Math.min(16, text.length))))
        : c.pick(EDGE_STRINGS);
      const times = Math.floor(c.int(maxBytes / 8, maxBytes) / Math.max(1, piece.length));
      return piece.repeat(Math.max(1, times));
    }
    case 2: {
      const at = c.int(0, text.length);
      return `${text.slice(0, at)}${c.pick(EDGE_STRINGS)}${text.slice(at)}`;
    }
    case 3:
      return c.pick(EDGE_STRINGS);
    case 4:
      return Buffer.from(text).toString('base64');
    default:
      return randomValue(c, 0);
  }
}

/** One to `rounds` mutations of a JSON value (the input is not changed). */
export function mutateJson(c: Chooser, value: unknown, maxBytes: number, rounds = c.int(1, 4)): unknown {
  let root = structuredClone(value);
  for (let round = 0; round < rounds; round += 1) {
    const all = paths(root);
    const path = c.pick(all);
    const target = getAt(root, path);
    const replace = (next: unknown) => {
      if (path.length === 0) {
        root = next;
        return;
      }
      const parent = getAt(root, path.slice(0, -1)) as Record<string | number, unknown>;
      parent[path[path.length - 1]!] = next;
    };
    const op = c.int(0, 6);
    if (op === 0 && path.length > 0) {
      const parent = getAt(root, path.slice(0, -1));
      const key = path[path.length - 1]!;
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete (parent as Record<string, unknown>)[key];
    } else if (op === 1 && typeof target === 'string') replace(mutateString(c, target, maxBytes));
    else if (op === 2 && typeof target === 'number') replace(c.pick(EDGE_NUMBERS) * (c.chance(20) ? -1 : 1));
    else if (op === 3 && isContainer(target) && !Array.isArray(target)) {
      // A key renamed after an Object.prototype member, or one added under such a name.
      const keys = Object.keys(target);
      const name = c.pick(PROTO_KEYS);
      if (keys.length > 0 && c.chance(50)) {
        const old = c.pick(keys);
        Object.defineProperty(target, name, {
          value: target[old],
          enumerable: true,
          writable: true,
          configurable: true,
        });
        delete target[old];
      } else
        Object.defineProperty(target, name, {
          value: randomValue(c, 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
    } else if (op === 4 && Array.isArray(target)) {
      const copies = c.int(1, 64);
      for (let i = 0; i < copies && target.length > 0; i += 1) target.push(structuredClone(target[0]));
    } else replace(randomValue(c, 0));
  }
  return root;
}

/** What goes to the parser: the mutated value, its JSON text, or that text cut short or corrupted. */
export function mutatePayload(c: Chooser, fixture: unknown, maxBytes: number): unknown {
  const mutated = mutateJson(c, fixture, maxBytes);
  if (c.chance(70)) return mutated;
  const text = JSON.stringify(mutated) ?? 'null';
  switch (c.int(0, 3)) {
    case 0:
      return text.slice(0, c.int(0, text.length));
    case 1:
      return `\ufeff${text}`;
    case 2: {
      const at = c.int(0, text.length);
      return `${text.slice(0, at)}${String.fromCharCode(c.int(0, 255))}${text.slice(at + 1)}`;
    }
    default:
      return text;
  }
}
