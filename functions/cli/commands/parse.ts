import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseEvent, SOURCE_CHOICES, DEFAULT_MAX_BYTES } from '../../../adapters/events/index.ts';
import { routeSignals, type TriggerTarget } from '../../../core/triggers/index.ts';
import { TriggerSchema } from '../../../core/schema/trigger.ts';
import { formatProblem, parseDocument } from '../../../core/errors.ts';
import { array, object, string } from 'zod';
import { UsageError, type CliCommand } from '../command.ts';
import { readJsonDocument } from '../read-document.ts';
import { InputTooLargeError, readBounded, textOf } from '../read-input.ts';
import { EventParseError } from '../../../adapters/events/errors.ts';

const TargetsSchema = array(object({ targetId: string().min(1), triggers: array(TriggerSchema) }));

/** The payload, bounded while streaming (one byte past --max-bytes is enough to refuse it), BOM dropped. */
async function readPayload(file: string, maxBytes: number): Promise<string | EventParseError> {
  try {
    return textOf(await readBounded(file, maxBytes));
  } catch (error) {
    if (!(error instanceof InputTooLargeError)) throw error;
    return new EventParseError('(input)', '(root)', 'too-large', `payload is over the ${maxBytes}-byte limit`);
  }
}

function epochOption(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new UsageError(`${flag} expects epoch milliseconds or an ISO-8601 time, was: "${text}"`);
  return ms;
}

export const parseCommand: CliCommand = {
  name: 'parse',
  usage: [
    'tide parse --source SOURCE FILE   ("-" reads standard input)',
    `  --source SOURCE       one of: ${SOURCE_CHOICES.join(', ')}`,
    `  --max-bytes N         payload size limit (default ${DEFAULT_MAX_BYTES})`,
    '  --received-at TIME    receive time for payloads with none of their own (default: now)',
    '  --targets FILE        JSON [{"targetId","triggers":[…]}]: also print which targets each signal feeds',
    '  --value-annotation NAME   Alertmanager annotation holding the observed value (default value)',
    'Exit 0 with JSON on standard output; 2 with the typed error on standard error for bad input.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        source: { type: 'string', default: 'auto' },
        'max-bytes': { type: 'string' },
        'received-at': { type: 'string' },
        targets: { type: 'string' },
        'value-annotation': { type: 'string' },
      },
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError('expected exactly one FILE');
    const maxBytes = values['max-bytes'] === undefined ? undefined : Number(values['max-bytes']);
    if (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes > 0)) {
      throw new UsageError(`--max-bytes expects a positive whole number, was: "${values['max-bytes']}"`);
    }
    let targets: TriggerTarget[] | undefined;
    if (values.targets) {
      const parsed = parseDocument(TargetsSchema, await readJsonDocument(values.targets, readFile), 'targets');
      if (!parsed.ok) throw new UsageError(parsed.error.problems.map(formatProblem).join('; '));
      targets = parsed.value;
    }
    const receivedAt = epochOption(values['received-at'], '--received-at') ?? Date.now();
    const payload = await readPayload(file, maxBytes ?? DEFAULT_MAX_BYTES);
    const result =
      payload instanceof EventParseError
        ? { ok: false as const, error: payload }
        : parseEvent(payload, values.source!, {
            receivedAt,
            ...(maxBytes !== undefined ? { maxBytes } : {}),
            ...(values['value-annotation'] ? { valueAnnotation: values['value-annotation'] } : {}),
          });
    if (!result.ok) {
      io.err(JSON.stringify(result.error.toJSON()));
      return 2;
    }
    const event = result.event;
    const output: Record<string, unknown> = {
      source: event.source,
      eventId: event.eventId,
      signals: event.signals.map((routable) => routable.signal),
      routes: event.signals.map((routable) => routable.route),
      notes: event.notes,
    };
    if (event.handshake) output.handshake = event.handshake;
    if (event.batch) {
      output.batchItemFailures = event.batch.batchItemFailures;
      output.recordErrors = event.batch.records.flatMap((record) =>
        record.ok ? [] : [{ itemIdentifier: record.itemIdentifier, ...record.error.toJSON() }],
      );
    }
    if (targets) {
      const routing = routeSignals(targets, event.signals);
      output.deliveries = routing.deliveries.map((d) => ({
        targetId: d.targetId,
        triggerIndex: d.triggerIndex,
        eventId: d.signal.eventId,
        signal: d.signal,
      }));
      output.unmatched = routing.unmatched.length;
    }
    io.out(JSON.stringify(output, null, 2));
    if (event.batch && event.batch.batchItemFailures.length > 0) {
      for (const record of event.batch.records)
        if (!record.ok) io.err(JSON.stringify({ itemIdentifier: record.itemIdentifier, ...record.error.toJSON() }));
      return 2;
    }
    return 0;
  },
};
