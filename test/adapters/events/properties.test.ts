/**
 * No uncaught exception, ever: random JSON, random text and bytes, and documented payloads mutated at random
 * (fields dropped, types changed, strings truncated, text cut short, payloads blown up) go to every parser.
 * The result is always the union: a typed error naming source and path, or signals the core's schema takes.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventParseError, parseEvent, SOURCE_CHOICES, type EventParseResult } from '../../../adapters/events/index.ts';
import { SignalSchema } from '../../../core/schema/signal.ts';
import { fixtureJson, fixtureText, RECEIVED_AT } from './support.ts';

const ROOT = fileURLToPath(new URL('../../fixtures/events/', import.meta.url));
const FIXTURES = readdirSync(ROOT, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.json'))
  .sort();

/** The invariants of every result. */
function expectWellFormed(result: EventParseResult): void {
  if (result.ok) {
    for (const { signal, route } of result.event.signals) {
      expect(SignalSchema.safeParse(signal).success).toBe(true);
      expect(typeof route.source).toBe('string');
      expect(Array.isArray(route.resourceIds)).toBe(true);
    }
    expect(result.event.eventId.length).toBeGreaterThan(0);
    for (const record of result.event.batch?.records ?? []) {
      if (!record.ok) expect(record.error).toBeInstanceOf(EventParseError);
    }
  } else {
    expect(result.error).toBeInstanceOf(EventParseError);
    expect(result.error.source.length).toBeGreaterThan(0);
    expect(result.error.path.length).toBeGreaterThan(0);
    expect(result.error.httpStatus).toBe(400);
  }
}

/** Parse without letting anything escape: a throw fails the property with what was thrown. */
function parseSafely(raw: unknown, source: string, maxBytes?: number): EventParseResult {
  let result: EventParseResult | undefined;
  expect(() => {
    result = parseEvent(raw, source, { receivedAt: RECEIVED_AT, ...(maxBytes ? { maxBytes } : {}) });
  }).not.toThrow();
  return result!;
}

type Path = (string | number)[];

/** Every path into a JSON value (objects and arrays), the root first. */
function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) for (const [i, item] of value.entries()) pathsOf(item, [...prefix, i], out);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  }
  return out;
}

type Mutation = { op: 'drop' } | { op: 'replace'; value: unknown } | { op: 'truncate'; keep: number } | { op: 'wrap' };

/** Apply `mutation` at `path` of a deep copy of `value`. */
function mutate(value: unknown, path: Path, mutation: Mutation): unknown {
  const copy = structuredClone(value);
  if (path.length === 0) return mutation.op === 'replace' ? mutation.value : mutation.op === 'wrap' ? [copy] : null;
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  const current = parent[key];
  switch (mutation.op) {
    case 'drop':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'replace':
      parent[key] = mutation.value;
      break;
    case 'truncate':
      parent[key] =
        typeof current === 'string'
          ? current.slice(0, mutation.keep)
          : typeof current === 'number'
            ? -current
            : current;
      break;
    case 'wrap':
      parent[key] = [current];
      break;
  }
  return copy;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ op: 'drop' }),
  fc.record({
    op: fc.constant('replace' as const),
    value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined), fc.constant(Number.NaN)),
  }),
  fc.record({ op: fc.constant('truncate' as const), keep: fc.nat({ max: 40 }) }),
  fc.constant<Mutation>({ op: 'wrap' }),
);

const sourceArb = fc.constantFrom(...SOURCE_CHOICES);
const RUNS = { numRuns: 150 };

describe('every parser, any input', () => {
  it('random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), sourceArb, (value, source) => {
        expectWellFormed(parseSafely(JSON.stringify(value), source));
        expectWellFormed(parseSafely(value, source));
      }),
      RUNS,
    );
  });

  it('random text and bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 })),
        sourceArb,
        (raw, source) => {
          expectWellFormed(parseSafely(raw, source));
        },
      ),
      RUNS,
    );
  });

  it('values JSON cannot carry (cycles, BigInt, functions)', () => {
    const cyclic: Record<string, unknown> = { version: '4' };
    cyclic.self = cyclic;
    for (const source of SOURCE_CHOICES) {
      for (const value of [cyclic, { n: 10n }, () => 1, undefined, Symbol('x')])
        expectWellFormed(parseSafely(value, source));
    }
  });
});

describe('documented payloads, mutated', () => {
  it.each(FIXTURES)('%s: one random mutation anywhere, any source', (file) => {
    const original = fixtureJson(file);
    const paths = pathsOf(original);
    fc.assert(
      fc.property(
        fc.nat({ max: paths.length - 1 }),
        mutationArb,
        fc.constantFrom('auto', ...SOURCE_CHOICES.slice(1)),
        (index, mutation, source) => {
          const changed = mutate(original, paths[index]!, mutation);
          expectWellFormed(parseSafely(JSON.stringify(changed) ?? 'null', source));
        },
      ),
      { numRuns: 60 },
    );
  });

  it.each(FIXTURES)('%s: the text cut short anywhere', (file) => {
    const text = fixtureText(file);
    fc.assert(
      fc.property(fc.nat({ max: text.length }), (cut) => {
        const result = parseSafely(text.slice(0, cut), 'auto');
        expectWellFormed(result);
        if (cut < text.trimEnd().length - 1) expect(result.ok).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it.each(FIXTURES)('%s: parsing is deterministic', (file) => {
    const source = file.includes('scheduler-pubsub') ? 'gcp-scheduler' : 'auto';
    expect(parseEvent(fixtureText(file), source, { receivedAt: RECEIVED_AT })).toEqual(
      parseEvent(fixtureText(file), source, { receivedAt: RECEIVED_AT }),
    );
  });
});

/** Ways a payload travels inside another: each envelope Tide unwraps. */
const ENVELOPES: Record<string, (inner: unknown) => unknown> = {
  'aws-sqs': (inner) => ({
    Records: [{ messageId: 'm-1', body: JSON.stringify(inner) ?? 'null', eventSource: 'aws:sqs' }],
  }),
  'aws-sns': (inner) => ({
    Type: 'Notification',
    MessageId: 'sns-1',
    TopicArn: 'arn:aws:sns:us-east-1:1:t',
    Message: JSON.stringify(inner) ?? 'null',
  }),
  'gcp-pubsub': (inner) => ({
    message: { data: Buffer.from(JSON.stringify(inner) ?? 'null').toString('base64'), messageId: 'p-1' },
    subscription: 's',
  }),
  'gcp-eventarc': (inner) => ({
    specversion: '1.0',
    id: 'ea-1',
    source: '//pubsub.googleapis.com/projects/p/topics/t',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    data: { message: { data: Buffer.from(JSON.stringify(inner) ?? 'null').toString('base64'), messageId: 'p-1' } },
  }),
  'azure-eventgrid': (inner) => [inner],
  'gcp-scheduler': (inner) => ({
    message: {
      data: Buffer.from(JSON.stringify(inner) ?? 'null').toString('base64'),
      messageId: 'p-2',
      publishTime: '2026-03-09T13:25:00Z',
    },
  }),
};

describe('mutated payloads inside every envelope', () => {
  it.each(FIXTURES)('%s: mutated, then wrapped', (file) => {
    const original = fixtureJson(file);
    const paths = pathsOf(original);
    fc.assert(
      fc.property(
        fc.nat({ max: paths.length - 1 }),
        mutationArb,
        fc.constantFrom(...Object.keys(ENVELOPES)),
        fc.boolean(),
        (index, mutation, envelope, untouched) => {
          const inner = untouched ? original : mutate(original, paths[index]!, mutation);
          const wrapped = ENVELOPES[envelope]!(inner);
          expectWellFormed(parseSafely(JSON.stringify(wrapped), envelope));
          expectWellFormed(parseSafely(JSON.stringify(wrapped), 'auto'));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('huge and hostile payloads', () => {
  it('refuses anything over the limit before decoding it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 3 }), (limit, factor) => {
        const text = JSON.stringify({ padding: 'x'.repeat(limit * factor) });
        const result = parseSafely(text, 'auto', limit);
        expect(result.ok ? 'ok' : result.error.code).toBe('too-large');
      }),
      { numRuns: 50 },
    );
  });

  it('survives nesting deep enough to break a recursive reader', () => {
    for (const text of [
      '['.repeat(200_000),
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
    ]) {
      for (const source of SOURCE_CHOICES) expectWellFormed(parseSafely(text, source, 10_000_000));
    }
  });

  it('survives a batch of thousands of records under a raised limit', () => {
    const body = fixtureText('aws/eventbridge-spot-interruption.json');
    const records = Array.from({ length: 2000 }, (_, i) => ({
      messageId: `m-${i}`,
      body: i % 7 === 0 ? body.slice(0, 50) : body,
      eventSource: 'aws:sqs',
    }));
    const result = parseSafely(JSON.stringify({ Records: records }), 'aws-sqs', 10_000_000);
    expectWellFormed(result);
    if (!result.ok) throw result.error;
    expect(result.event.batch?.batchItemFailures).toHaveLength(Math.ceil(2000 / 7));
    expect(result.event.signals).toHaveLength(2000 - Math.ceil(2000 / 7));
  });
});
