/**
 * The hand-read EventBridge CloudWatch alarm (adapters/events/aws/cloudwatch-alarm.ts,
 * `fastCloudWatchAlarmEvent`) answers exactly as the schema path does: for generated alarms, the same alarms
 * mutated anywhere, and arbitrary values (hostile ones too: null prototypes, maps, sparse arrays, bigints),
 * `parseEventBridge` (the hand reader first) and `parseEventBridgeWithSchemas` (zod only) give the same
 * parsed value (key order and map prototypes included) or throw the same typed error (code, field, value).
 * And it is not a reader that always steps aside: for plain JSON alarms the schema path accepts, it answers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastCloudWatchAlarmEvent } from '../../../adapters/events/aws/cloudwatch-alarm.ts';
import { parseEventBridge, parseEventBridgeWithSchemas } from '../../../adapters/events/aws/envelope.ts';
import type { ParseContext } from '../../../adapters/events/context.ts';
import { EventParseError } from '../../../adapters/events/errors.ts';
import { ALL_SOURCES, parseEvent } from '../../../adapters/events/index.ts';
import { resolveOptions, type ParsedEvent } from '../../../adapters/events/types.ts';
import { alarmEvent } from '../../functions/http/support.ts';
import { fixtureJson, fixtureText, RECEIVED_AT } from './support.ts';

const ctx: ParseContext = {
  source: 'aws-eventbridge',
  path: [],
  options: resolveOptions({ receivedAt: RECEIVED_AT }),
  dispatch: ALL_SOURCES.dispatch,
};

type Outcome = { ok: true; event: ParsedEvent } | { ok: false; error: unknown };

function outcome(read: () => ParsedEvent): Outcome {
  try {
    return { ok: true, event: read() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A value's JSON text, or a marker for what JSON cannot carry (a bigint). */
function textOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch (error) {
    return `(not JSON: ${(error as Error).message})`;
  }
}

/** Both readers agree on `payload`; returns whether the hand reader answered itself. */
function expectSameAnswer(payload: unknown): boolean {
  const fast = fastCloudWatchAlarmEvent(payload, ctx);
  const both = outcome(() => parseEventBridge(payload, ctx));
  const schemas = outcome(() => parseEventBridgeWithSchemas(payload, ctx));
  expect(both.ok).toBe(schemas.ok);
  if (both.ok && schemas.ok) {
    expect(both.event).toStrictEqual(schemas.event);
    // Same key order (what the state store and the audit keep) and the same null-prototype maps.
    expect(textOf(both.event)).toBe(textOf(schemas.event));
    both.event.signals.forEach(({ signal, route }, i) => {
      const other = schemas.event.signals[i]!;
      if ('dimensions' in signal)
        expect(Object.getPrototypeOf(signal.dimensions)).toBe(
          Object.getPrototypeOf((other.signal as typeof signal).dimensions),
        );
      expect(Object.getPrototypeOf(route.dimensions)).toBe(Object.getPrototypeOf(other.route.dimensions));
    });
  } else if (!both.ok && !schemas.ok) {
    const [a, b] = [both.error, schemas.error];
    const described = (error: unknown) =>
      error instanceof EventParseError
        ? { code: error.code, path: error.path, source: error.source, message: error.message }
        : // What the schema path itself cannot describe (a bigint in a message): the boundary reports it as a
          // parser failure; the same throw either way.
          { thrown: (error as Error)?.constructor?.name, message: (error as Error)?.message };
    expect(described(a)).toEqual(described(b));
  }
  // When the hand reader answers, it is the answer.
  if (fast !== undefined) {
    expect(both.ok).toBe(true);
    if (both.ok) expect(fast).toStrictEqual(both.event);
  }
  return fast !== undefined;
}

const STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Mostly `usual`, sometimes `odd`. */
const mostly = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: usual, weight: 6 }, { arbitrary: odd, weight: 1 });
/** A value of another type than a field's (each schema field is sometimes given one). */
const wrongType = fc.constantFrom<unknown>(
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '5',
  5,
  null,
  true,
  [],
  {},
  [1],
  'ALARM',
);
/**
 * A record of `shape`, each field sometimes of a wrong type; the keys not in `required` sometimes absent.
 * (Record strings from fast-check's generators are plain objects, as JSON's are.)
 */
function rec(shape: Record<string, fc.Arbitrary<unknown>>, required: string[] = []) {
  const fields = Object.fromEntries(
    Object.entries(shape).map(([key, arb]) => [
      key,
      fc.oneof({ arbitrary: arb, weight: 25 }, { arbitrary: wrongType, weight: 1 }),
    ]),
  );
  return fc.record(fields, { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>;
}
/** Strings of the kind providers send, and some that are not. */
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'x', 'GPUUtilization', '__proto__', 'constructor'),
);
const number = fc.oneof(
  fc.double({ noDefaultInfinity: false }),
  fc.integer({ min: -1000, max: 100_000 }),
  fc.constantFrom(0, -0, 70, 1e308),
);
const time = mostly(
  fc.date({ min: new Date(0), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.oneof(
    fc
      .date({ min: new Date(0), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    fc
      .date({ min: new Date(0), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
      .map((d) => `${d.toISOString().slice(0, 23)}+0000`),
    fc.integer({ min: -10, max: 4_102_444_800_000 }),
    fc.constantFrom('2019-10-02T17:20:48Z', 'yesterday', '1', '', 'Mon, 19 Sep 2016 18:29:47 GMT', 1e20, Number.NaN),
  ),
);
const dimensions = fc.oneof(
  fc.dictionary(fc.constantFrom('EndpointName', 'InstanceId', 'Pool', 'Variant'), fc.constantFrom('llm', 'a', 'b')),
  fc.dictionary(text, mostly<unknown>(text, fc.oneof(fc.constant(null), fc.integer())), { maxKeys: 4 }),
  fc.dictionary(
    fc.integer({ min: 0, max: 99 }).map((i) => `k${i}`),
    fc.constant('v'),
    { minKeys: 60, maxKeys: 70 },
  ),
);
const metricStat = rec(
  {
    metric: rec(
      {
        name: mostly(fc.constantFrom('GPUUtilization', 'NetworkIn'), text),
        namespace: optional(text),
        dimensions: optional(dimensions),
      },
      ['name'],
    ),
    period: optional(mostly(fc.constant(60), number)),
    stat: optional(text),
    unit: optional(fc.oneof(text, fc.constant(null))),
  },
  ['metric'],
);
const metric = rec(
  {
    id: text,
    expression: optional(text),
    label: optional(text),
    metricStat: optional(metricStat),
    returnData: optional(fc.boolean()),
  },
  ['id'],
);
const reason = fc.oneof(
  text,
  fc
    .tuple(fc.array(number, { maxLength: 3 }), number, fc.constantFrom('greater than', 'less than or equal to', 'near'))
    .map(
      ([points, threshold, how]) =>
        `Threshold Crossed: 1 out of the last 1 datapoints [${points.map((p) => `${p} (02/10/19 17:10:00)`).join(', ')}] was ${how} the threshold (${threshold}).`,
    ),
  fc.constantFrom('the threshold (1.2.3)', 'the threshold (1e999)', 'datapoints [1, 2', 'Threshold Crossed'),
);
const reasonData = mostly(
  fc
    .record(
      {
        recentDatapoints: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 4 }),
        threshold: fc.integer(),
      },
      { requiredKeys: [] },
    )
    .map((data) => JSON.stringify(data)),
  fc.oneof(
    rec({
      recentDatapoints: optional(fc.array(number, { maxLength: 4 })),
      threshold: optional(number),
      statistic: optional(text),
      period: optional(fc.oneof(number, text)),
    }).map((data) => JSON.stringify(data)),
    fc.constantFrom(
      '',
      '{',
      'null',
      '[]',
      '{"recentDatapoints":[1,"2"]}',
      JSON.stringify({ recentDatapoints: Array(1001).fill(1) }),
    ),
    text,
  ),
);
const state = rec(
  {
    value: mostly(fc.constantFrom(...STATES), text),
    reason: optional(reason),
    reasonData: optional(reasonData),
    timestamp: optional(time),
  },
  ['value'],
);
/** EventBridge CloudWatch alarm events: mostly the common shape, some fields off. */
const alarm = rec(
  {
    version: optional(fc.constantFrom('0', '1')),
    id: mostly(fc.uuid(), text),
    'detail-type': mostly(fc.constant('CloudWatch Alarm State Change'), fc.constant('Other')),
    source: mostly(fc.constant('aws.cloudwatch'), text),
    account: optional(fc.constant('123456789012')),
    time,
    region: optional(fc.constant('us-east-1')),
    resources: optional(
      fc.array(fc.oneof(text, fc.constant('arn:aws:cloudwatch:us-east-1:1:alarm:a')), { maxLength: 2 }),
    ),
    detail: rec(
      {
        alarmName: mostly(fc.constantFrom('tide-t1-gpu', 'TotalNetworkTrafficTooHigh'), text),
        configuration: optional(
          rec(
            {
              description: optional(fc.oneof(text, fc.constant(null))),
              metrics: optional(fc.array(metric, { maxLength: 3 })),
            },
            [],
          ),
        ),
        state,
        previousState: optional(state),
      },
      ['alarmName', 'state'],
    ),
  },
  ['id', 'detail-type', 'source', 'time', 'detail'],
);

type Path = (string | number)[];
function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) pathsOf(item, [...prefix, i], out);
  } else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  return out;
}

/** Anything, hostile values included. */
const anything = fc.anything({
  maxDepth: 3,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withSparseArray: true,
  withBoxedValues: true,
  withTypedArray: true,
});
const replacement = fc.oneof(fc.jsonValue({ maxDepth: 2 }), anything, fc.constantFrom(undefined, Number.NaN, '', []));

/** `value` with the node at `path` dropped, replaced, wrapped in an array or (a string) cut short. */
function mutate(value: unknown, path: Path, op: 'drop' | 'replace' | 'wrap' | 'truncate', by: unknown): unknown {
  const copy = structuredClone(value);
  if (path.length === 0) return op === 'replace' ? by : op === 'wrap' ? [copy] : null;
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  if (op === 'drop') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (op === 'replace') parent[key] = by;
  else if (op === 'wrap') parent[key] = [parent[key]];
  else if (typeof parent[key] === 'string') parent[key] = (parent[key] as string).slice(0, 3);
  return copy;
}

const FIXTURES = [
  'aws/eventbridge-cloudwatch-alarm-single-metric.json',
  'aws/eventbridge-cloudwatch-alarm-metric-math.json',
  'aws/eventbridge-cloudwatch-alarm-anomaly-band.json',
];

describe('the hand-read CloudWatch alarm', () => {
  it.each(FIXTURES)('%s: read by hand, the same answer as the schemas', (file) => {
    const payload = fixtureJson(file);
    expect(expectSameAnswer(payload)).toBe(true);
    // And at the boundary, from the text, as the webhook and the events function get it.
    const result = parseEvent(fixtureText(file), 'aws-eventbridge', { receivedAt: RECEIVED_AT });
    expect(result.ok).toBe(true);
  });

  it("the bench's alarm: read by hand", () => {
    const payload = JSON.parse(
      JSON.stringify(alarmEvent({ id: 'e-1', alarmName: 'tide-t1-gpu', value: 71, at: Date.UTC(2026, 0, 1) })),
    );
    expect(expectSameAnswer(payload)).toBe(true);
  });

  it('generated alarms: the same answer; plain JSON the schemas accept is read by hand', () => {
    let byHand = 0;
    fc.assert(
      fc.property(alarm, (event) => {
        expectSameAnswer(event);
        // As JSON carries it (what every runtime hands the parser).
        const decoded = JSON.parse(JSON.stringify(event));
        const answered = expectSameAnswer(decoded);
        if (answered) byHand++;
        const hasProtoKey = JSON.stringify(event).includes('"__proto__"');
        if (!hasProtoKey && outcome(() => parseEventBridgeWithSchemas(decoded, ctx)).ok) expect(answered).toBe(true);
      }),
      { numRuns: 800 },
    );
    // The generator reaches the hand reader's answers, not only its refusals.
    expect(byHand).toBeGreaterThan(100);
  });

  it('generated alarms, one mutation anywhere: the same answer or the same typed error', () => {
    fc.assert(
      fc.property(
        alarm,
        fc.nat(),
        fc.constantFrom('drop', 'replace', 'wrap', 'truncate'),
        replacement,
        (event, at, op, by) => {
          const paths = pathsOf(event);
          const changed = mutate(event, paths[at % paths.length]!, op as 'drop', by);
          expectSameAnswer(changed);
          const text = textOf(changed);
          if (!text.startsWith('(not JSON') && text !== 'undefined') expectSameAnswer(JSON.parse(text));
        },
      ),
      { numRuns: 600 },
    );
  });

  it.each(FIXTURES)('%s, one mutation anywhere: the same answer or the same typed error', (file) => {
    const original = fixtureJson(file);
    const paths = pathsOf(original);
    fc.assert(
      fc.property(
        fc.nat({ max: paths.length - 1 }),
        fc.constantFrom('drop', 'replace', 'wrap', 'truncate'),
        replacement,
        (index, op, by) => {
          expectSameAnswer(mutate(original, paths[index]!, op as 'drop', by));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('arbitrary values, at the root and as the detail: the same answer or the same typed error', () => {
    const base = JSON.parse(JSON.stringify(alarmEvent({ id: 'e', alarmName: 'a', value: 1, at: 0 })));
    fc.assert(
      fc.property(anything, (value) => {
        expectSameAnswer(value);
        expectSameAnswer({ ...base, detail: value });
        expectSameAnswer({ ...base, detail: { ...base.detail, state: value } });
        expectSameAnswer({ ...base, detail: { ...base.detail, configuration: { metrics: [value] } } });
      }),
      { numRuns: 300 },
    );
  });

  it('objects that are not plain JSON are left to the schemas', () => {
    const base = JSON.parse(JSON.stringify(alarmEvent({ id: 'e', alarmName: 'a', value: 1, at: 0 })));
    const metrics = base.detail.configuration.metrics;
    const nullProto = Object.assign(Object.create(null), { EndpointName: 'llm' });
    const withSymbol = { EndpointName: 'llm', [Symbol('s')]: 'x' };
    const withProto = JSON.parse('{"__proto__": "x", "EndpointName": "llm"}');
    for (const dims of [nullProto, withSymbol, withProto, new Map([['a', 'b']])]) {
      const payload = structuredClone(base);
      payload.detail.configuration.metrics = [{ ...metrics[0], metricStat: { ...metrics[0].metricStat } }];
      payload.detail.configuration.metrics[0].metricStat.metric = { ...metrics[0].metricStat.metric, dimensions: dims };
      expect(fastCloudWatchAlarmEvent(payload, ctx)).toBeUndefined();
      expectSameAnswer(payload);
    }
    const throwing = { ...base, detail: { ...base.detail } };
    Object.defineProperty(throwing.detail, 'alarmName', {
      get() {
        throw new Error('no');
      },
      enumerable: true,
    });
    expect(fastCloudWatchAlarmEvent(throwing, ctx)).toBeUndefined();
  });
});
