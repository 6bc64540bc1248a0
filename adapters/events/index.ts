/** Event ingestion: provider payloads → signals (with what trigger matching needs), or a typed error. */
export { parseEvent, SOURCE_CHOICES } from './parse.ts';
export { EVENT_SOURCES, detectSource, findEventSource, type EventSource } from './registry.ts';
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
