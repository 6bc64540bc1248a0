/** Event ingestion: provider payloads → signals (with what trigger matching needs), or a typed error. */
import { createEventParser } from './parse.ts';
import { ALL_SOURCES } from './sources/index.ts';

export { createEventParser, type EventParser } from './parse.ts';
export { eventRegistry, type EventRegistry, type EventSource } from './registry.ts';
export { ALL_SOURCES, EVENT_SOURCES, detectSource, findEventSource, SOURCE_CHOICES } from './sources/index.ts';
/** Parse a payload as any source Tide knows (or recognise it: `auto`); never throws. */
export const parseEvent = createEventParser(ALL_SOURCES);
export { EventParseError, isEventParseError, type EventParseErrorCode } from './errors.ts';
export { structuredFromBinary, TIDE_JOB_EVENT_TYPES } from './cloudevents.ts';
export { cloudEventsWebhookValidation } from './azure/eventgrid.ts';
export {
  DEFAULT_MAX_BYTES,
  EVENT_SOURCE_NAMES,
  type BatchRecordResult,
  type BatchResult,
  type EventParseResult,
  type EventSourceName,
  type Handshake,
  type ParsedEvent,
  type ParseOptions,
} from './types.ts';
