/**
 * Every payload format Tide reads, in detection order: AWS's, Google Cloud's, Azure's, then the neutral ones.
 * What `tide parse`, `tide serve`, the HTTP API's source list and the docs use; a cloud's function takes its
 * own list (functions/<cloud>/sources.ts).
 */
import { eventRegistry } from '../registry.ts';
import { AWS_SOURCES } from './aws.ts';
import { AZURE_SOURCES } from './azure.ts';
import { GCP_SOURCES } from './gcp.ts';
import { NEUTRAL_SOURCES } from './neutral.ts';

/** Every format, in detection order. */
export const EVENT_SOURCES = [...AWS_SOURCES, ...GCP_SOURCES, ...AZURE_SOURCES, ...NEUTRAL_SOURCES] as const;

/** The registry of every format. */
export const ALL_SOURCES = eventRegistry(EVENT_SOURCES);

/** The source called `name`, if Tide knows it. */
export const findEventSource = ALL_SOURCES.find;

/** The first of `allowed` (in registry order) that recognises the payload. */
export const detectSource = ALL_SOURCES.detect;

/** Every source name `parseEvent` takes, `auto` first. */
export const SOURCE_CHOICES: readonly string[] = ['auto', ...EVENT_SOURCES.map((source) => source.name)];
