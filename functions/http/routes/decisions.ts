/** `GET /v1/targets/{id}/decisions` (the audit log) and `POST /v1/targets/{id}/override`. */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { TimestampSchema } from '../../../core/schema/common.ts';
import type { Signal } from '../../../core/schema/signal.ts';
import type { ApiApp } from '../api-app.ts';
import type { ApiDependencies, ApiEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { COMMON_ERRORS, NOT_FOUND, TOO_LARGE, TargetParams, json, named, scopedRoute } from '../route.ts';
import { recordWrite } from './writes.ts';

const DecisionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before: z
    .string()
    .regex(/^\d{1,16}-\d{1,16}$/, { message: 'expected a cursor from an earlier page, e.g. 1764400000000-0' })
    .optional(),
});

/** An entry of the audit log: the recorded decision with its event id, outcome, reasons and the signal. */
const AuditEntrySchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    outcome: z.string(),
    reasons: z.array(z.string()),
    actions: z.array(z.record(z.string(), z.unknown())),
    holds: z.array(z.object({ rule: z.string(), reason: z.string() })),
    currentCapacity: z.number(),
    desiredCapacity: z.number(),
    signal: z.object({ kind: z.string(), source: z.string(), observedAt: z.number(), detail: z.string() }),
    /** What became of each action, once they ran (the reconciler's record). */
    results: z
      .array(
        z.object({
          index: z.number().int(),
          type: z.string(),
          status: z.enum(['done', 'retryable', 'failed', 'skipped']),
          instanceIds: z.array(z.string()).optional(),
          note: z.string().optional(),
          error: z.object({ name: z.string(), message: z.string(), code: z.string().optional() }).optional(),
        }),
      )
      .optional(),
  })
  .passthrough();
/** One recent signal: the signal itself (as the event pipeline took it), the observation and the decision's gist. */
const RecentSignalSchema = z.object({
  eventId: z.string(),
  at: z.number(),
  signal: z.record(z.string(), z.unknown()),
  observed: z.record(z.string(), z.unknown()).nullable(),
  decided: z.object({ outcome: z.string(), currentCapacity: z.number(), desiredCapacity: z.number() }),
});
const RecentSignals = z.object({ signals: z.array(RecentSignalSchema) });
const DecisionsPage = z.object({ decisions: z.array(AuditEntrySchema), next: z.string().nullable() });

/** Manual override: pin capacity until `expiresAt` (or for `durationSeconds`); clamped to the policy's bounds. */
const OverrideBody = z
  .object({
    /** Replicas or nodes. */
    capacity: z.number().int().min(0).max(100_000),
    expiresAt: TimestampSchema.optional(),
    /** Alternative to `expiresAt`: seconds from now, 1 to 7 days' worth. */
    durationSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86400)
      .optional(),
    reason: z.string().min(1).max(500),
  })
  .strict()
  .refine((body) => (body.expiresAt === undefined) !== (body.durationSeconds === undefined), {
    message: 'give exactly one of expiresAt and durationSeconds',
    path: ['expiresAt'],
  });
const CancelBody = z.object({ reason: z.string().min(1).max(500).default('override cancelled over the API') }).strict();

const DecisionOutcome = named(
  'ShellOutcome',
  z.object({
    eventId: z.string(),
    status: z.string(),
    decision: z.record(z.string(), z.unknown()),
  }),
);

export function registerDecisionRoutes(app: ApiApp<ApiEnv>, deps: ApiDependencies): void {
  const { store, shell, clock } = deps;

  app.openapi(
    scopedRoute('read', deps, {
      method: 'get',
      path: '/v1/targets/{id}/decisions',
      summary: 'The decision log, newest first; pass `next` back as `before` for the next page',
      request: { params: TargetParams, query: DecisionsQuery },
      responses: { 200: { description: 'a page', content: json(DecisionsPage) }, ...NOT_FOUND, ...COMMON_ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit, before } = c.req.valid('query');
      const [target, page] = await Promise.all([
        store.getTarget(id),
        store.readAudit(id, { limit, ...(before ? { before } : {}) }),
      ]);
      if (!target) throw new ApiError(404, 'not-found', `no target "${id}"`);
      return c.json({ decisions: page.entries as unknown as z.infer<typeof AuditEntrySchema>[], next: page.next }, 200);
    },
  );

  app.openapi(
    scopedRoute('read', deps, {
      method: 'get',
      path: '/v1/targets/{id}/signals',
      summary:
        "The target's recent signals in full, newest first, each with what was observed and decided (bounded: the state store's recent-signal limits); the policy editor replays them",
      request: { params: TargetParams },
      responses: { 200: { description: 'the signals', content: json(RecentSignals) }, ...NOT_FOUND, ...COMMON_ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const [target, signals] = await Promise.all([store.getTarget(id), store.readRecentSignals(id, clock.now())]);
      if (!target) throw new ApiError(404, 'not-found', `no target "${id}"`);
      return c.json({ signals: signals as unknown as z.infer<typeof RecentSignalSchema>[] }, 200);
    },
  );

  const override = async (id: string, signal: Signal, action: string, key: { id: string; name: string }) => {
    const handled = await shell.handle({ targetId: id, signal });
    deps.metrics.decisions.inc({ outcome: handled.decision.outcome });
    await recordWrite(deps, { ...key, scopes: [], createdAt: 0 }, { action, targetId: id, change: signal });
    return {
      eventId: handled.eventId,
      status: handled.status,
      decision: handled.decision as unknown as Record<string, unknown>,
    };
  };

  app.openapi(
    scopedRoute('write', deps, {
      method: 'post',
      path: '/v1/targets/{id}/override',
      summary: "Pin capacity until an expiry (clamped to the policy's bounds; the decision's reasons say so)",
      request: { params: TargetParams, body: { content: json(OverrideBody), required: true } },
      responses: {
        200: { description: 'the decision it made', content: json(DecisionOutcome) },
        ...NOT_FOUND,
        ...TOO_LARGE,
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const now = clock.now();
      const key = c.get('apiKey');
      const signal: Signal = {
        kind: 'manual-override',
        capacity: body.capacity,
        expiresAt: body.expiresAt ?? now + (body.durationSeconds ?? 0) * 1000,
        reason: body.reason,
        requestedBy: key.name,
        source: 'tide-api',
        observedAt: now,
        eventId: `api-override:${randomUUID()}`,
      };
      if (signal.expiresAt <= now)
        throw new ApiError(400, 'invalid-request', 'expiresAt must be in the future', [
          {
            path: 'expiresAt',
            message: `expiresAt: must be in the future (got ${new Date(signal.expiresAt).toISOString()})`,
            received: body.expiresAt,
          },
        ]);
      return c.json(await override(id, signal, 'override', key), 200);
    },
  );

  app.openapi(
    scopedRoute('write', deps, {
      method: 'delete',
      path: '/v1/targets/{id}/override',
      summary: 'Cancel the manual override (the policy decides again)',
      request: { params: TargetParams, body: { content: json(CancelBody), required: false } },
      responses: {
        200: { description: 'the decision it made', content: json(DecisionOutcome) },
        ...NOT_FOUND,
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = CancelBody.parse(c.req.valid('json') ?? {});
      const now = clock.now();
      const key = c.get('apiKey');
      const signal: Signal = {
        kind: 'manual-override',
        capacity: null,
        expiresAt: now + 1000,
        reason: body.reason,
        requestedBy: key.name,
        source: 'tide-api',
        observedAt: now,
        eventId: `api-override:${randomUUID()}`,
      };
      return c.json(await override(id, signal, 'cancel-override', key), 200);
    },
  );
}
