/** The source registry's entries that belong to no cloud (adapters/events/registry.ts). */
import { parseAlertmanager } from '../alertmanager.ts';
import { parseCloudEvent } from '../cloudevents.ts';
import { parseTideTick } from '../schedule-tick.ts';
import type { EventSource } from '../registry.ts';
import { NEUTRAL_FORMATS, type NeutralFormatName } from './neutral-formats.ts';

const PARSERS: Record<NeutralFormatName, EventSource['parse']> = {
  alertmanager: parseAlertmanager,
  cloudevents: parseCloudEvent,
  'tide-tick': parseTideTick,
};

/**
 * The formats of no one cloud, read by every function: Alertmanager webhooks, Tide's CloudEvents, the tick
 * body. Last in detection order (a CloudEvent is recognised only after the clouds' own envelopes).
 */
export const NEUTRAL_SOURCES: readonly EventSource[] = NEUTRAL_FORMATS.map((format) => ({
  ...format,
  parse: PARSERS[format.name],
}));
