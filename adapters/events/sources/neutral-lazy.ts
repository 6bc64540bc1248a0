/** The neutral formats with their parsers loaded on demand (see ./aws-lazy.ts for when and why). */
import type { EventSource, LazyEventSource } from '../registry.ts';
import { NEUTRAL_FORMATS, type NeutralFormatName } from './neutral-formats.ts';

const LOADERS: Record<NeutralFormatName, () => Promise<EventSource['parse']>> = {
  alertmanager: async () => (await import('../alertmanager.ts')).parseAlertmanager,
  cloudevents: async () => (await import('../cloudevents.ts')).parseCloudEvent,
  'tide-tick': async () => (await import('../schedule-tick.ts')).parseTideTick,
};

/** {@link NEUTRAL_FORMATS}, each parser loaded at its format's first payload. */
export const NEUTRAL_LAZY_SOURCES: readonly LazyEventSource[] = NEUTRAL_FORMATS.map((format) => ({
  ...format,
  load: LOADERS[format.name],
}));
