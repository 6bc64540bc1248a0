/**
 * What the AWS HTTP API's webhooks read: the same formats as the events function (./sources.ts), in the same
 * order, with each parser loaded at its format's first payload. Documents, status and keys, most of the API's
 * requests, never parse a payload; a webhook's first delivery of a format loads its parser (an envelope's with
 * those of what it carries), and every later one finds it loaded.
 */
import { AWS_LAZY_SOURCES } from '../../adapters/events/sources/aws-lazy.ts';
import { NEUTRAL_LAZY_SOURCES } from '../../adapters/events/sources/neutral-lazy.ts';

/** In detection order: AWS's envelopes and formats, then Alertmanager, CloudEvents and the tick. */
export const AWS_API_SOURCES = [...AWS_LAZY_SOURCES, ...NEUTRAL_LAZY_SOURCES];
