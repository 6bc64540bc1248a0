/**
 * A source registry: the payload formats one runtime reads, how to recognise each (`--source auto`), and its
 * parser. Envelopes (SQS, SNS, Pub/Sub, Eventarc, Event Grid) hand what they carry back to `dispatch`, which
 * recognises it among the formats that envelope can carry and this registry knows.
 *
 * The formats are listed by cloud in adapters/events/sources/. Each cloud's function reads its own cloud's
 * formats and the neutral ones (Alertmanager, CloudEvents, the tick), so it bundles no other cloud's parsers
 * (issue 18); `tide`, `tide serve` and the docs read them all (adapters/events/sources/index.ts).
 */
import { fail, type ParseContext } from './context.ts';
import type { EventSourceName, ParsedEvent } from './types.ts';

type Json = Record<string, unknown>;

/** One payload format. */
export interface EventSource {
  name: EventSourceName;
  /** One line for `tide parse --help` and the docs. */
  summary: string;
  /** Whether a payload looks like this format (cheap; `auto` tries the sources in registry order). */
  detect(payload: unknown): boolean;
  parse(payload: unknown, ctx: ParseContext): ParsedEvent;
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
}

/** A registry of `sources`, in the order given. */
export function eventRegistry(sources: readonly EventSource[]): EventRegistry {
  const byName = new Map(sources.map((source) => [source.name, source]));
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
  };
}
