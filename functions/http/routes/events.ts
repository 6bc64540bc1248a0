/**
 * `POST /v1/events/{source}`: webhooks. The body goes through the same parsers and the same idempotent
 * shell as the cloud functions (functions/shell/ingest.ts); the answer lists the decisions and the signals
 * no target took. Senders that sign (SNS) or carry their own secret or token (Event Grid, Pub/Sub) are also
 * checked by adapters/auth through `deps.senders`; SNS subscription confirmations and the Event Grid
 * validation handshake are answered here.
 */
import * as z from 'zod';
import { apiKeyId } from '../api-keys.ts';
import type { ApiApp } from '../api-app.ts';
import type { ApiDependencies, ApiEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { SIGNED_SOURCES } from '../senders.ts';
import { COMMON_ERRORS, TOO_LARGE, json, named, scopedRoute } from '../route.ts';

const IngestAnswer = named(
  'IngestAnswer',
  z.object({
    source: z.string(),
    eventId: z.string().optional(),
    decisions: z.array(z.record(z.string(), z.unknown())),
    unmatched: z.array(z.record(z.string(), z.unknown())),
    notes: z.array(z.string()),
  }),
);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function registerEventRoutes(app: ApiApp<ApiEnv>, deps: ApiDependencies): void {
  const { ingest, senders, metrics, clock } = deps;
  // The formats this runtime reads (a cloud's function: its own cloud's and the neutral ones).
  const choices = ['auto', ...ingest.sources.sources.map((known) => known.name)];
  const SourceParams = z.object({
    source: z.string().refine((source) => choices.includes(source), {
      message: `expected one of ${choices.join(', ')}`,
    }),
  });

  app.openapi(
    scopedRoute(
      'ingest',
      deps,
      {
        method: 'post',
        path: '/v1/events/{source}',
        summary:
          'A webhook: CloudWatch/SNS, EventBridge, Alertmanager, Cloud Monitoring, Pub/Sub, Event Grid, Azure Monitor, CloudEvents (`auto` recognises the format)',
        request: {
          params: SourceParams,
          // Not validated by a schema: each format has its parser (and SNS posts text/plain).
          body: { content: { 'application/json': { schema: { type: 'object' } } }, required: true },
        },
        responses: {
          200: { description: 'the decisions it caused (or the handshake reply)', content: json(IngestAnswer) },
          ...TOO_LARGE,
          ...COMMON_ERRORS,
        },
      },
      'webhook',
    ),
    async (c) => {
      const started = performance.now();
      const { source } = c.req.valid('param');
      const text = await c.req.text();
      // Decoded here only where this route reads the body itself: to recognise the format (`auto`) and for the
      // sender check of the signed formats. Ingest decodes the text in any case.
      const body = source === 'auto' || SIGNED_SOURCES.has(source) ? parseJson(text) : undefined;
      const format = source === 'auto' && body !== undefined ? (ingest.sources.detect(body)?.name ?? source) : source;

      if (SIGNED_SOURCES.has(format) && body !== undefined) {
        // The sender check sees the sender's own credentials only: a bearer that is Tide's key is not one of them.
        const headers = c.req.header();
        const bearer = headers.authorization?.startsWith('Bearer ') ? headers.authorization.slice(7).trim() : undefined;
        if (bearer !== undefined && apiKeyId(bearer) !== undefined) delete headers.authorization;
        const request = { headers, query: c.req.query(), body };
        if (format === 'aws-sns' && (body as Record<string, unknown>).Type === 'SubscriptionConfirmation') {
          const confirmed = await senders.confirmSnsSubscription(body as Record<string, unknown>);
          if (!confirmed.ok) reject(confirmed.reason);
          return c.json({ source: format, decisions: [], unmatched: [], notes: ['SNS subscription confirmed'] }, 200);
        }
        const check = await senders.authenticate(format, request);
        if (!check.ok) reject(check.reason);
      }

      const result = await ingest.ingest(text, format as Parameters<typeof ingest.ingest>[1], {
        receivedAt: clock.now(),
      });
      metrics.eventSeconds.observe({ source: result.source }, (performance.now() - started) / 1000);
      for (const decision of result.decisions)
        if (decision.status === 'decided') metrics.decisions.inc({ outcome: decision.outcome });

      // Event Grid waits for exactly this body; the handshake is answered only after the sender check above.
      if (result.handshake?.kind === 'azure-eventgrid-validation')
        return c.json(result.handshake.response, 200) as never;
      if (result.failures.retryable.length > 0) {
        // The sender delivers again; the deliveries that landed are recognised then by their event ids.
        throw new ApiError(
          503,
          'unavailable',
          `${result.failures.retryable.length} of the deliveries must be retried: ${result.failures.retryable.map((f) => f.error.message).join('; ')}`,
          undefined,
          { 'Retry-After': '1' },
        );
      }
      const rejected = result.failures.nonRetryable;
      if (rejected.length > 0 && result.decisions.length === 0) {
        metrics.webhookRejections.inc({
          reason: rejected.some((f) => f.error.code === 'too-large') ? 'too-large' : 'bad-payload',
        });
        const status = rejected.some((f) => f.error.code === 'too-large') ? 413 : 400;
        throw new ApiError(
          status,
          status === 413 ? 'payload-too-large' : 'bad-payload',
          `the ${result.source} payload could not be read: ${rejected.map((f) => f.error.message).join('; ')}`,
          rejected.map((f) => ({ path: f.error.path ?? '(root)', message: f.error.message })),
        );
      }
      return c.json(
        {
          source: result.source,
          ...(result.eventId ? { eventId: result.eventId } : {}),
          decisions: result.decisions as unknown as Record<string, unknown>[],
          unmatched: result.unmatched as unknown as Record<string, unknown>[],
          notes: result.notes,
        },
        200,
      );
    },
  );

  function reject(reason: string): never {
    metrics.webhookRejections.inc({ reason: 'sender-unverified' });
    deps.logger.warn('api: webhook sender not verified', { reason });
    throw new ApiError(403, 'forbidden', 'the sender could not be verified');
  }
}
