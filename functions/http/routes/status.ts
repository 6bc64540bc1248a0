/** `GET /v1/targets/{id}/status` and `POST /v1/targets/{id}/decide` (the dry run). */
import * as z from 'zod';
import { PolicySchema } from '../../../core/schema/policy.ts';
import { SignalSchema } from '../../../core/schema/signal.ts';
import { ObservedCapacitySchema, type ObservedCapacity, type Target } from '../../../core/schema/target.ts';
import type { ApiApp } from '../api-app.ts';
import type { ApiDependencies, ApiEnv } from '../context.ts';
import { usdPerHourOf } from '../cost.ts';
import { ApiError } from '../errors.ts';
import { decideOf } from '../../shell/decider.ts';
import { loadExchangeCalendars, needsExchangeCalendars } from '../../../adapters/calendars/load.ts';
import { COMMON_ERRORS, NOT_FOUND, TOO_LARGE, TargetParams, json, named, scopedRoute } from '../route.ts';

const StatusSchema = named(
  'TargetStatus',
  z.object({
    targetId: z.string(),
    /** What the provider reports now, per pool; null when it could not be read. */
    observed: ObservedCapacitySchema.nullable(),
    /** List-price spend of the observed capacity, $/h; null when unknown. */
    usdPerHour: z.number().nullable(),
    lastDecision: z.record(z.string(), z.unknown()).nullable(),
    /** Plans (schedules) whose window is open now, with their window in words. */
    activePlans: z.array(z.object({ name: z.string(), label: z.string(), windowEnd: z.number().nullable() })),
    override: z.object({ capacity: z.number(), expiresAt: z.number(), reason: z.string() }).nullable(),
  }),
);

const DryRunBody = z
  .object({
    signal: SignalSchema,
    /** Capacity to decide on instead of reading the provider. */
    observed: ObservedCapacitySchema.optional(),
  })
  .strict();

/** The snapshot's event id for reads: no event is ever stored under it (dry runs store nothing). */
const READ_ONLY_EVENT = 'tide-api:read-only';

export function registerStatusRoutes(app: ApiApp<ApiEnv>, deps: ApiDependencies): void {
  const { store, clock } = deps;

  const observe = async (target: Target): Promise<ObservedCapacity | null> => {
    try {
      const observed = await deps.observe(target);
      if (observed) deps.metrics.observed(target.id, observed, usdPerHourOf(observed));
      return observed;
    } catch (error) {
      deps.logger.warn('api: could not read the capacity', { targetId: target.id, error: (error as Error).message });
      return null;
    }
  };

  app.openapi(
    scopedRoute('read', deps, {
      method: 'get',
      path: '/v1/targets/{id}/status',
      summary: 'Observed capacity per pool, the last decision, active plans and $/h now',
      request: { params: TargetParams },
      responses: { 200: { description: 'the status', content: json(StatusSchema) }, ...NOT_FOUND, ...COMMON_ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const [snapshot, audit] = await Promise.all([store.load(id, READ_ONLY_EVENT), store.readAudit(id, { limit: 1 })]);
      if (!snapshot.target) throw new ApiError(404, 'not-found', `no target "${id}"`);
      const observed = await observe(snapshot.target.value);
      const memory = snapshot.state.memory;
      const now = clock.now();
      const activePlans = Object.entries(memory?.plans ?? {})
        .filter(([, plan]) => plan.active && plan.validUntil > now)
        .map(([name, plan]) => ({ name, label: plan.label, windowEnd: plan.windowEnd }));
      const override = memory?.override && memory.override.expiresAt > now ? memory.override : null;
      return c.json(
        {
          targetId: id,
          observed,
          usdPerHour: observed ? usdPerHourOf(observed) : null,
          lastDecision: (audit.entries[0] as unknown as Record<string, unknown>) ?? null,
          activePlans,
          override,
        },
        200,
      );
    },
  );

  app.openapi(
    scopedRoute('read', deps, {
      method: 'post',
      path: '/v1/targets/{id}/decide',
      summary: 'What would Tide do? The decision for a signal on the current state, acting on and storing nothing',
      request: { params: TargetParams, body: { content: json(DryRunBody), required: true } },
      responses: {
        200: {
          description: 'the decision (with the memory it would leave)',
          content: json(z.record(z.string(), z.unknown())),
        },
        ...NOT_FOUND,
        ...TOO_LARGE,
        ...COMMON_ERRORS,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const snapshot = await store.load(id, READ_ONLY_EVENT);
      if (!snapshot.target) throw new ApiError(404, 'not-found', `no target "${id}"`);
      const target = snapshot.target.value;
      const decide = await decideOf(deps.decide);
      const policy = snapshot.policy?.value ?? PolicySchema.parse({});
      if (needsExchangeCalendars(policy)) await loadExchangeCalendars();
      const decision = decide({
        now: clock.now(),
        signal: body.signal,
        target,
        policy,
        observed: body.observed ?? (await observe(target)),
        ...(snapshot.state.memory ? { memory: snapshot.state.memory } : {}),
      });
      return c.json(decision as unknown as Record<string, unknown>, 200);
    },
  );
}
