/**
 * Parsers loaded on demand (adapters/events/registry.ts `ready`, the AWS HTTP API's webhooks): the same formats
 * in the same order as the events function's, and, once a format is ready, the same result for every AWS and
 * neutral fixture as the parsers loaded at start, envelopes carrying other formats included. Before `ready` a
 * lazy format does not parse: what `ready` loads is what the payload needs, no more is assumed loaded.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createEventParser } from '../../../adapters/events/parse.ts';
import { eventRegistry, type LazyEventSource } from '../../../adapters/events/registry.ts';
import { AWS_API_SOURCES } from '../../../functions/aws/lazy-sources.ts';
import { AWS_FUNCTION_SOURCES } from '../../../functions/aws/sources.ts';
import { fixtureText, RECEIVED_AT } from './support.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/events/', import.meta.url));
const fixtures = ['aws', 'alertmanager', 'cloudevents', 'tide'].flatMap((dir) =>
  readdirSync(`${FIXTURES}${dir}`).map((file) => `${dir}/${file}`),
);
const eager = createEventParser(eventRegistry(AWS_FUNCTION_SOURCES));
const options = { receivedAt: RECEIVED_AT };

describe('the AWS HTTP API: parsers loaded on demand', () => {
  it('reads the events function formats, in its order, with the same summaries and what the envelopes carry', () => {
    const shape = ({ name, summary, carries }: { name: string; summary: string; carries?: readonly string[] }) => ({
      name,
      summary,
      carries,
    });
    expect(AWS_API_SOURCES.map(shape)).toEqual(AWS_FUNCTION_SOURCES.map(shape));
  });

  it.each(fixtures)('%s: once its format is ready, parsed as the parsers loaded at start parse it', async (file) => {
    const text = fixtureText(file);
    const source = eventRegistry(AWS_FUNCTION_SOURCES).detect(JSON.parse(text))?.name ?? 'auto';
    // A fresh registry per fixture: only what this format loads (and what it carries) is loaded.
    const registry = eventRegistry(AWS_API_SOURCES);
    const lazy = createEventParser(registry);
    const before = lazy(text, source, options);
    expect(before.ok || before.error.code).toBe('parser-failure');
    await registry.ready(source);
    expect(registry.ready(source)).toBeUndefined();
    expect(lazy(text, source, options)).toEqual(eager(text, source, options));
  });

  it('auto loads every parser', async () => {
    const registry = eventRegistry(AWS_API_SOURCES);
    await registry.ready('auto');
    for (const source of AWS_API_SOURCES) expect(registry.ready(source.name)).toBeUndefined();
  });

  it('a failed load rejects that call, and the next call loads again', async () => {
    let attempts = 0;
    const flaky: LazyEventSource = {
      name: 'tide-tick',
      summary: 'tick',
      detect: () => true,
      load: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('chunk missing');
        return () => ({ source: 'tide-tick', eventId: 'e', signals: [], notes: [] }) as never;
      },
    };
    const registry = eventRegistry([flaky]);
    await expect(registry.ready('tide-tick')).rejects.toThrow('chunk missing');
    await registry.ready('tide-tick');
    expect(attempts).toBe(2);
    expect(registry.ready('tide-tick')).toBeUndefined();
  });

  it('a registry of parsers loaded at start has nothing to wait for', () => {
    expect(eventRegistry(AWS_FUNCTION_SOURCES).ready('aws-sqs')).toBeUndefined();
    expect(eventRegistry(AWS_FUNCTION_SOURCES).ready('auto')).toBeUndefined();
  });
});
