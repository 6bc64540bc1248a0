/**
 * Azure's entry points, thin in the manner of hono's runtime adapters: unwrap what the @azure/functions v4
 * programming model hands over, call the runtime-neutral pipeline (functions/shell/ingest.ts) or the hono
 * app, and map the result back.
 *
 * Retries and dead letters: an Event Grid trigger invocation that throws is a failed delivery; Event Grid
 * delivers the event again on its retry schedule (the subscription's `maxDeliveryAttempts` and
 * `eventTimeToLiveInMinutes`), then puts it in the dead-letter container (infra/azure/main.json). So
 * `tideEvents` throws exactly when a delivery failed retryably (state store down, an action failed retryably)
 * and returns after logging when it can never succeed (bad input: the error names the field). The timer
 * trigger throws on a retryable failure too: its retry policy (index.ts) runs it again.
 */
import type { EventGridEvent, HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';
import type { AzureClients } from '../../adapters/azure/clients.ts';
import type { OperationStore } from '../../adapters/azure/operations.ts';
import type { IngestResult } from '../shell/ingest.ts';
import type { Runtime } from '../shell/runtime.ts';

/** Thrown to have Event Grid (or the timer's retry policy) deliver again. */
export class RedeliverError extends Error {
  override readonly name = 'RedeliverError';
  readonly retryable = true;
  constructor(readonly failures: { targetId: string; message: string }[]) {
    super(
      `${failures.length} deliver${failures.length === 1 ? 'y' : 'ies'} failed retryably; the platform will deliver again`,
    );
  }
}

export interface AzureRuntime {
  runtime: Runtime;
  clients: AzureClients;
  operations?: OperationStore;
}

/**
 * The fetch API's request to the app, from the HTTP trigger's. The body is read whole, so its length is known
 * and stated: the app's body limit (functions/http/body-limit.ts) is then checked from `Content-Length`. A
 * request without one (the host passes on what the sender sent) went through hono's streaming limit instead,
 * which wraps the body in a counting stream and a second Request: about 6 % of the bytes allocated per event
 * in `npm run bench:e2e -- --cloud azure`, whose alerts carry no Content-Length.
 */
export async function toFetchRequest(request: HttpRequest): Promise<Request> {
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') return new Request(request.url, { method, headers: request.headers });
  const body = await request.arrayBuffer();
  const fetchRequest = new Request(request.url, {
    method,
    headers: request.headers,
    ...(body.byteLength > 0 ? { body } : {}),
  });
  fetchRequest.headers.delete('transfer-encoding');
  fetchRequest.headers.set('content-length', String(body.byteLength));
  return fetchRequest;
}

/** The HTTP trigger's response, from the app's. */
export async function fromFetchResponse(response: Response): Promise<HttpResponseInit> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const body = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers, ...(body.byteLength > 0 ? { body } : {}) };
}

function retryableOf(result: IngestResult): { targetId: string; message: string }[] {
  return result.failures.retryable.map((failure) => ({
    targetId: failure.targetId ?? '?',
    message: failure.error.message,
  }));
}

export function createAzureHandlers(
  getRuntime: () => AzureRuntime | Promise<AzureRuntime>,
  getApp: () => Promise<{ fetch(request: Request): Response | Promise<Response> }>,
) {
  return {
    /** `tideHttp`: every route of the HTTP app (webhooks, API, handshakes). */
    async http(request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
      const app = await getApp();
      return fromFetchResponse(await app.fetch(await toFetchRequest(request)));
    },

    /** `tideEvents`: one Event Grid event (Event Grid or CloudEvents schema) per invocation. */
    async eventGrid(event: EventGridEvent, context: InvocationContext): Promise<void> {
      const { runtime } = await getRuntime();
      const result = await runtime.ingest.ingest([event], 'azure-eventgrid');
      for (const failure of result.failures.nonRetryable) {
        runtime.logger.error('azure: event dropped, it can never succeed', {
          eventId: event.id,
          invocationId: context.invocationId,
          ...failure,
        });
      }
      const retryable = retryableOf(result);
      if (retryable.length > 0) throw new RedeliverError(retryable);
    },

    /** `tideTick`: the schedule's tick (plans, schedules) and the Azure tick work (metrics, operations). */
    async timer(timer: Timer, context: InvocationContext): Promise<void> {
      const { runtime, clients, operations } = await getRuntime();
      const result = await runtime.ingest.ingest({ ...timer, scheduleName: context.functionName }, 'azure-timer', {
        receivedAt: runtime.clock.now(),
      });
      const retryable = retryableOf(result);
      // The tick's work (metrics, operations, the adapters) is a chunk of its own, loaded at the first tick.
      const { runAzureTick } = await import('./tick.ts');
      const tick = await runAzureTick(runtime, clients, `azure-tick:${result.eventId ?? context.invocationId}`, {
        ...(operations ? { operations } : {}),
      });
      runtime.logger.info('azure tick', {
        invocationId: context.invocationId,
        pastDue: timer.isPastDue,
        targets: tick.targets,
        signals: tick.signals,
        notes: tick.notes.slice(0, 20),
        failures: tick.failures.length,
      });
      retryable.push(...tick.failures.filter((failure) => failure.retryable));
      if (retryable.length > 0) throw new RedeliverError(retryable);
    },
  };
}
