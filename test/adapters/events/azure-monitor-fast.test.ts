/**
 * The hand-read common alert schema (adapters/events/azure/monitor.ts, `readCommonAlert`) answers exactly as
 * the schema does: for Microsoft's alert fixtures, the same alerts with any field replaced by another value (of
 * another type, null, absent, a hostile object), `parseAzureMonitor` (the hand reader first) and
 * `parseAzureMonitor` with the schema alone give the same parsed event (key order included) or throw the same
 * typed error (code, field, message). And it is not a reader that always steps aside: the fixtures and their
 * plain variants are read by hand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAzureMonitor, readCommonAlert } from '../../../adapters/events/azure/monitor.ts';
import type { ParseContext } from '../../../adapters/events/context.ts';
import { EventParseError } from '../../../adapters/events/errors.ts';
import { ALL_SOURCES } from '../../../adapters/events/index.ts';
import { resolveOptions, type ParsedEvent } from '../../../adapters/events/types.ts';
import { fixtureJson, RECEIVED_AT } from './support.ts';

const ctx: ParseContext = {
  source: 'azure-monitor',
  path: [],
  options: resolveOptions({ receivedAt: RECEIVED_AT }),
  dispatch: ALL_SOURCES.dispatch,
};

const FIXTURES = [
  'azure/monitor-metric-alert-fired.json',
  'azure/monitor-metric-alert-resolved.json',
  'azure/monitor-log-alert-v2-fired.json',
];

type Outcome = { ok: true; event: ParsedEvent } | { ok: false; error: unknown };
function outcome(read: () => ParsedEvent): Outcome {
  try {
    return { ok: true, event: read() };
  } catch (error) {
    return { ok: false, error };
  }
}
const described = (error: unknown) =>
  error instanceof EventParseError
    ? { code: error.code, path: error.path, message: error.message }
    : { thrown: (error as Error)?.constructor?.name, message: (error as Error)?.message };

/** Both paths agree on `payload`; returns whether the hand reader answered itself. */
function expectSameAnswer(payload: unknown): boolean {
  const hand = readCommonAlert(payload);
  const both = outcome(() => parseAzureMonitor(payload, ctx));
  const schema = outcome(() => parseAzureMonitor(payload, ctx, () => undefined));
  expect(both.ok).toBe(schema.ok);
  if (both.ok && schema.ok) {
    expect(both.event).toStrictEqual(schema.event);
    expect(JSON.stringify(both.event)).toBe(JSON.stringify(schema.event));
  } else if (!both.ok && !schema.ok) expect(described(both.error)).toEqual(described(schema.error));
  if (hand !== undefined) expect(schema.ok).toBe(true);
  return hand !== undefined;
}

/** Every path to a value in a JSON document (objects' keys and arrays' indexes). */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [at];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((key) => pathsOf((value as Record<string | number, unknown>)[key], [...at, key]))];
}

/** `doc` with the value at `path` replaced (`undefined`: the key removed). */
function replaced(doc: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined && !Array.isArray(parent)) delete parent[last];
  else parent[last] = value;
  return copy;
}

const nullPrototype = () => Object.assign(Object.create(null), { name: 'a', value: 'b' });
const sparse = () => {
  const list: unknown[] = [];
  list[2] = 'x';
  return list;
};
/** Values a field may be given instead of its own: other types, edge cases, hostile objects. */
const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<unknown>(
    undefined,
    null,
    '',
    'x',
    0,
    -1,
    1e20,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    'Fired',
    'Resolved',
    'GreaterThan',
    '2019-10-02T17:20:48Z',
    '2019-10-02T17:20:48.123+0000',
    'Mon, 19 Sep 2016 18:29:47 GMT',
    'yesterday',
    1_570_036_848,
    [],
    {},
    ['a'],
    [{ name: 'a', value: 1 }],
    [{ name: 'a', value: null }],
    { a: 1, b: 'c', d: null },
  ),
  fc.constantFrom('null-prototype', 'sparse', '__proto__', 'map').map((kind) => {
    if (kind === 'null-prototype') return nullPrototype();
    if (kind === 'sparse') return sparse();
    if (kind === 'map') return new Map([['a', 'b']]);
    return JSON.parse('{"__proto__": {"alertRuleId": "inherited"}, "name": "a", "value": "b"}');
  }),
);

describe('readCommonAlert', () => {
  it.each(FIXTURES)('reads %s by hand, as the schema does', (name) => {
    expect(expectSameAnswer(fixtureJson(name))).toBe(true);
  });

  it('answers as the schema does for the fixtures with any one value replaced, and reads most of them itself', () => {
    let read = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES).chain((name) => {
          const doc = fixtureJson(name);
          return fc.tuple(fc.constant(doc), fc.constantFrom(...pathsOf(doc)), replacement);
        }),
        ([doc, path, value]) => {
          runs += 1;
          if (expectSameAnswer(replaced(doc, path, value))) read += 1;
        },
      ),
      { numRuns: 3_000 },
    );
    // Many replacements leave a valid alert (a dimension's value, an unread field): those are read by hand.
    expect(read / runs).toBeGreaterThan(0.2);
  });

  it('leaves a `__proto__` key, a null-prototype object and a non-plain payload to the schema', () => {
    const doc = fixtureJson(FIXTURES[0]!) as { data: { essentials: Record<string, unknown> } };
    const withProto = JSON.parse(JSON.stringify(doc).replace('"essentials":{', '"essentials":{"__proto__":{"x":1},'));
    expect(readCommonAlert(withProto)).toBeUndefined();
    expect(expectSameAnswer(withProto)).toBe(false);
    const nullProto = Object.assign(Object.create(null), doc);
    expect(readCommonAlert(nullProto)).toBeUndefined();
    expect(expectSameAnswer(nullProto)).toBe(false);
    expect(readCommonAlert(JSON.stringify(doc))).toBeUndefined();
  });
});
