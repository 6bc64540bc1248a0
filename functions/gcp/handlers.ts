/**
 * Google Cloud's entry points, thin in the manner of hono's runtime adapters: unwrap what the Functions
 * Framework hands over, call the runtime-neutral pipeline (functions/shell/ingest.ts), and map the result
 * back to what Pub/Sub understands.
 *
 * Acknowledgement: a CloudEvent function that returns acknowledges the message (the framework answers 204);
 * one that throws gets a 500, and Pub/Sub delivers the message again (push subscription retry policy), then
 * to the dead-letter topic after `max_delivery_attempts` (infra/gcp/main.tf). So the handler throws exactly
 * when a delivery failed retryably (state store down, an action failed retryably), and returns after
 * logging when it can never succeed (bad input: the error names the field; the message is dropped, and a
 * decision that failed for good is in the target's audit log already).
 */
import type { GcpClients } from '../../adapters/gcp/clients.ts';
import { EVENTARC_TYPES } from '../../adapters/events/gcp/eventarc.ts';
import type { IngestResult } from '../shell/ingest.ts';
import type { Runtime } from '../shell/runtime.ts';

/** The fields of a CloudEvent the handler reads (the Functions Framework's CloudEvent object). */
export interface CloudEventLike {
  specversion?: string;
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  data?: unknown;
  [extension: string]: unknown;
}

/** Thrown to have Pub/Sub deliver the message again. */
export class RedeliverError extends Error {
  override readonly name = 'RedeliverError';
  readonly retryable = true;
  constructor(readonly failures: IngestResult['failures']['retryable'] | { targetId: string; message: string }[]) {
    super(
      `${failures.length} deliver${failures.length === 1 ? 'y' : 'ies'} failed retryably; Pub/Sub will deliver the message again`,
    );
  }
}

export interface GcpRuntime {
  runtime: Runtime;
  clients: GcpClients;
}

/** The structured CloudEvent JSON the event parsers read, from the framework's object. */
export function structuredCloudEvent(event: CloudEventLike): Record<string, unknown> {
  return { ...event, specversion: event.specversion ?? '1.0' };
}

export function createGcpHandlers(getRuntime: () => GcpRuntime | Promise<GcpRuntime>) {
  return {
    /** `tideEvents`: Pub/Sub (push, or Eventarc) and Eventarc audit-log CloudEvents. */
    async onCloudEvent(event: CloudEventLike): Promise<void> {
      const { runtime, clients } = await getRuntime();
      const format = EVENTARC_TYPES.includes(event.type) ? 'gcp-eventarc' : 'cloudevents';
      const result = await runtime.ingest.ingest(structuredCloudEvent(event), format);
      for (const failure of result.failures.nonRetryable) {
        // Acknowledged: a redelivery would fail the same way. The error names the field, never the payload.
        runtime.logger.error('gcp: message dropped, it can never succeed', {
          eventId: event.id,
          type: event.type,
          ...failure,
        });
      }
      const retryable: { targetId: string; message: string }[] = result.failures.retryable.map((failure) => ({
        targetId: failure.targetId ?? '?',
        message: failure.error.message,
      }));
      if (result.signalKinds.includes('schedule-tick')) {
        // The tick's work (metrics, the adapters) is a chunk of its own, loaded at the first tick.
        const { runGcpTick } = await import('./tick.ts');
        const tick = await runGcpTick(runtime, clients, `gcp-tick:${result.eventId ?? event.id}`);
        runtime.logger.info('gcp tick', {
          eventId: event.id,
          targets: tick.targets,
          signals: tick.signals,
          failures: tick.failures.length,
        });
        retryable.push(...tick.failures.filter((failure) => failure.retryable));
      }
      if (retryable.length > 0) throw new RedeliverError(retryable);
    },
  };
}
