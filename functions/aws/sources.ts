/** What the AWS functions read: AWS's payload formats and the neutral ones, and no other cloud's parsers. */
import { AWS_SOURCES } from '../../adapters/events/sources/aws.ts';
import { NEUTRAL_SOURCES } from '../../adapters/events/sources/neutral.ts';

/** In detection order: AWS's envelopes and formats, then Alertmanager, CloudEvents and the tick. */
export const AWS_FUNCTION_SOURCES = [...AWS_SOURCES, ...NEUTRAL_SOURCES];
