/**
 * A source registry: the payload formats one runtime reads, how to recognise each (`--source auto`), and its
 * parser. Envelopes (SQS, SNS, Pub/Sub, Eventarc, Event Grid) hand what they carry back to `dispatch`, which
 * recognises it among the formats that envelope can carry and this registry knows.
 *
 * The formats are listed by cloud in adapters/events/sources/. Each cloud's function reads its own cloud's
 * formats and the neutral ones (Alertmanager, CloudEvents, the tick), so it bundles no other cloud's parsers
 * (issue 18); `tide`, `tide serve` and the docs read them all (adapters/events/sources/index.ts).
 */
import { atFirstUse } from '../at-first-use.ts';
import { fail, type ParseContext } from './context.ts';
import type { EventSourceName, ParsedEvent } from './types.ts';

type Json = Record<string, unknown>;

/** One payload format, without its parser: what it is called, how it is recognised, what it carries. */
export interface EventFormat {
  name: EventSourceName;
  /** One line for `tide parse --help` and the docs. */
  summary: string;
  /** Whether a payload looks like this format (cheap; `auto` tries the sources in registry order). */
  detect(payload: unknown): boolean;
  /** An envelope's: the formats it hands what it carries to (`dispatch`), loaded with it when lazy. */
  carries?: readonly EventSourceName[];
}

/** One payload format and its parser. */
export interface EventSource extends EventFormat {
  parse(payload: unknown, ctx: ParseContext): ParsedEvent;
}

/**
 * A format whose parser is loaded on demand, by the registry's `ready`: for a function that takes the format
 * only now and then (the HTTP API's webhooks), so its cold start does not load every parser.
 */
export interface LazyEventSource extends EventFormat {
  load(): Promise<EventSource['parse']>;
}

const isObject = (payload: unknown): payload is Json =>
  typeof payload === 'object' && payload !== null && !Array.isArray(payload);
/** A detector that looks at objects only. */
export const objectWith = (test: (payload: Json) => boolean) => (payload: unknown) =>
  isObject(payload) && test(payload);

/** The formats one runtime reads, in detection order (envelopes first, then the specific shapes). */
export interface EventRegistry {
  readonly sources: readonly EventSource[];
  /** The source called `name`, if this registry has it. */
  find(name: string): EventSource | undefined;
  /** The first of `allowed` (in registry order) that recognises the payload. */
  detect(payload: unknown, allowed?: readonly EventSourceName[]): EventSource | undefined;
  /** Recognise a payload among `allowed` and parse it; the envelopes call this for what they carry. */
  dispatch(payload: unknown, allowed: readonly EventSourceName[], ctx: ParseContext): ParsedEvent;
  /**
   * Load the parsers a payload as `format` may need (`auto`: every one): the format's and, for an envelope, those
   * of what it carries. Undefined when they are all loaded (always, for a registry of parsers only), so the
   * common path does not wait; a failed load rejects, and the next call tries again.
   */
  ready(format: string): Promise<void> | undefined;
}

const isLazy = (source: EventSource | LazyEventSource): source is LazyEventSource => 'load' in source;

/**
 * A registry of `given`, in the order given. A lazy source's parser is loaded by `ready`; parsing as it before
 * that is a programming error, which the parser's boundary (parse.ts) reports as a `parser-failure`.
 */
export function eventRegistry(given: readonly (EventSource | LazyEventSource)[]): EventRegistry {
  const loaded = new Map<EventSourceName, EventSource['parse']>();
  const lazy = new Map(given.filter(isLazy).map((source) => [source.name, source]));
  const sources: readonly EventSource[] = given.map((source) => {
    if (!isLazy(source)) return source;
    const { load: _load, ...format } = source;
    return {
      ...format,
      parse(payload, ctx) {
        const parse = loaded.get(source.name);
        if (!parse) throw new Error(`the ${source.name} parser is not loaded: the registry's ready() loads it`);
        return parse(payload, ctx);
      },
    };
  });
  const byName = new Map(sources.map((source) => [source.name, source]));
  /** The lazy sources a payload as `names` may need, not loaded yet: each name and what it carries, transitively. */
  const unloaded = (names: readonly string[]) => {
    const needed = new Set<LazyEventSource>();
    const visit = (name: string) => {
      const source = lazy.get(name as EventSourceName);
      if (!source || needed.has(source)) return;
      needed.add(source);
      for (const inner of source.carries ?? []) visit(inner);
    };
    for (const name of names) visit(name);
    return [...needed].filter((source) => !loaded.has(source.name));
  };
  /** Each lazy source's load, once (and again after a failure, which is that call's error). */
  const loaders = new Map(
    [...lazy.values()].map((source) => [
      source.name,
      atFirstUse(async () => void loaded.set(source.name, await source.load())),
    ]),
  );
  const detect = (payload: unknown, allowed?: readonly EventSourceName[]) =>
    sources.find((source) => (!allowed || allowed.includes(source.name)) && source.detect(payload));
  return {
    sources,
    find: (name) => byName.get(name as EventSourceName),
    detect,
    dispatch(payload, allowed, ctx) {
      const source = detect(payload, allowed);
      if (!source) {
        return fail(
          ctx,
          'unknown-source',
          `expected ${allowed.length === sources.length ? 'a payload Tide knows' : `one of ${allowed.join(', ')}`}, was: a payload none of them recognises`,
        );
      }
      return source.parse(payload, { ...ctx, source: source.name });
    },
    ready(format) {
      if (lazy.size === 0) return undefined;
      const needed = unloaded(format === 'auto' ? [...lazy.keys()] : [format]);
      if (needed.length === 0) return undefined;
      return Promise.all(needed.map((source) => loaders.get(source.name)?.())).then(() => undefined);
    },
  };
}
