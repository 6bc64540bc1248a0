/**
 * Tide's own CloudEvents 1.0 job events, for Ray, Spark or any scheduler that can POST JSON. Types:
 *
 *   dev.tide.job.queued                  a job waits for capacity (data: gpusPerNode, nodeCount required;
 *                                        optional deadline (RFC 3339) and runSeconds: see training deadlines)
 *   dev.tide.job.started                 it runs
 *   dev.tide.job.finished                it ended well (or was cancelled): its capacity is free
 *   dev.tide.job.failed                  it ended badly
 *   dev.tide.job.preempted               it lost nodes (data: gpusPerNode, nodeCount it needs back, required)
 *   dev.tide.job.checkpoint.acknowledged it wrote a checkpoint (data: checkpointAt required)
 *
 * `subject` (or `data.jobId`) is the job id; `source` names the cluster (triggers match it as resourceId).
 * Structured mode (the JSON below) is read here; `structuredFromBinary` turns binary mode (ce-* headers and
 * the data as the body) into it. `data_base64` is accepted too.
 */
import { array, enum as zenum, literal, looseObject, number, record, string, unknown as zunknown } from 'zod';
import type { JobEventType } from '../../core/schema/signal.ts';
import {
  check,
  child,
  decodeBase64,
  decodeJson,
  fail,
  finishSignal,
  ProviderTimeSchema,
  type ParseContext,
  oneSignalEvent,
} from './context.ts';
import type { ParsedEvent } from './types.ts';

/** CloudEvents `type` → job event. */
export const TIDE_JOB_EVENT_TYPES: Record<string, JobEventType> = {
  'dev.tide.job.queued': 'queued',
  'dev.tide.job.started': 'started',
  'dev.tide.job.finished': 'finished',
  'dev.tide.job.failed': 'failed',
  'dev.tide.job.preempted': 'preempted',
  'dev.tide.job.checkpoint.acknowledged': 'checkpoint-acknowledged',
};

const CloudEventSchema = looseObject({
  specversion: literal('1.0'),
  id: string().min(1),
  source: string().min(1),
  type: zenum(Object.keys(TIDE_JOB_EVENT_TYPES) as [string, ...string[]], {
    message: `expected one of ${Object.keys(TIDE_JOB_EVENT_TYPES).join(', ')}`,
  }),
  subject: string().min(1).optional(),
  time: ProviderTimeSchema.optional(),
  datacontenttype: string().optional(),
  data: zunknown().optional(),
  data_base64: string().optional(),
});

const positiveInt = number().int().positive();

/** RFC 3339 date-time: full date, `T` (or a space, or `t`), time with seconds, `Z` or a numeric offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const Rfc3339TimeSchema = string()
  .refine((text) => RFC3339.test(text) && !Number.isNaN(Date.parse(text.replace(' ', 'T'))), {
    message: 'expected an RFC 3339 time, e.g. 2026-03-09T21:00:00Z',
  })
  .transform((text) => Date.parse(text.replace(' ', 'T')));

/** The `data` of Tide's job events. */
export const JobEventDataSchema = looseObject({
  /** Defaults to the event's `subject`. */
  jobId: string().min(1).optional(),
  /** `ray`, `spark`, …: becomes the `framework` dimension. */
  framework: string().min(1).optional(),
  gpusPerNode: positiveInt.optional(),
  nodeCount: positiveInt.optional(),
  gpuModel: string().min(1).optional(),
  priority: number().int().optional(),
  instanceIds: array(string().min(1)).optional(),
  checkpointAt: ProviderTimeSchema.optional(),
  /** When the job must be done (RFC 3339): while it has slack, Tide waits for spot instead of on-demand. */
  deadline: Rfc3339TimeSchema.optional(),
  /** Expected running time of the whole job on one placement, seconds (no boot, no load). */
  runSeconds: number()
    .refine((value) => Number.isFinite(value) && value > 0, { message: 'expected a positive number of seconds' })
    .optional(),
  /** Extra dimensions for trigger matching (e.g. `{"pool": "a100-spot"}`). */
  labels: record(string(), string()).optional(),
});

export { looksLikeCloudEvent } from './detect.ts';

/** Binary-mode CloudEvent (ce-* HTTP headers, data as the body) → the structured JSON this parser reads. */
export function structuredFromBinary(
  headers: Record<string, string | undefined>,
  body: unknown,
): Record<string, unknown> {
  const lower = Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
  const event: Record<string, unknown> = { data: body };
  for (const [key, value] of Object.entries(lower)) {
    if (key.startsWith('ce-') && value !== undefined) event[key.slice(3)] = value;
  }
  if (lower['content-type']) event.datacontenttype = lower['content-type'];
  return event;
}

/** A Tide job CloudEvent → one `job` signal. */
export function parseCloudEvent(payload: unknown, ctx: ParseContext): ParsedEvent {
  const ce = check(CloudEventSchema, payload, ctx);
  let rawData: unknown = ce.data ?? {};
  if (ce.data_base64 !== undefined) {
    const at = child(ctx, 'data_base64');
    rawData = decodeJson(decodeBase64(ce.data_base64, at), at);
  } else if (typeof ce.data === 'string') {
    rawData = decodeJson(ce.data, child(ctx, 'data'));
  }
  const dataCtx = child(ctx, 'data');
  const data = check(JobEventDataSchema, rawData, dataCtx);
  const jobEvent = TIDE_JOB_EVENT_TYPES[ce.type]!;
  const jobId = data.jobId ?? ce.subject;
  if (!jobId) return fail(child(ctx, 'subject'), 'invalid', 'a job event needs subject (or data.jobId), was: nothing');
  if (jobEvent === 'queued' || jobEvent === 'preempted') {
    // Demand is the point of these two: without it the scaler cannot size anything.
    if (data.gpusPerNode === undefined)
      return fail(child(dataCtx, 'gpusPerNode'), 'invalid', `${ce.type} needs the GPU demand, was: nothing`);
    if (data.nodeCount === undefined)
      return fail(child(dataCtx, 'nodeCount'), 'invalid', `${ce.type} needs the GPU demand, was: nothing`);
  }
  if (jobEvent === 'checkpoint-acknowledged' && data.checkpointAt === undefined) {
    return fail(
      child(dataCtx, 'checkpointAt'),
      'invalid',
      'a checkpoint acknowledgement needs checkpointAt, was: nothing',
    );
  }
  const observedAt = ce.time ?? ctx.options.receivedAt;
  if (observedAt === undefined) return fail(child(ctx, 'time'), 'invalid', 'a job event needs time, was: nothing');
  // CloudEvents ids are unique per source only.
  const eventId = `${ce.source}#${ce.id}`;
  const signal = finishSignal(
    {
      kind: 'job',
      event: jobEvent,
      jobId,
      ...(data.gpusPerNode !== undefined ? { gpusPerNode: data.gpusPerNode } : {}),
      ...(data.nodeCount !== undefined ? { nodeCount: data.nodeCount } : {}),
      ...(data.priority !== undefined ? { priority: data.priority } : {}),
      ...(data.gpuModel ? { gpuModel: data.gpuModel } : {}),
      ...(data.instanceIds ? { instanceIds: data.instanceIds } : {}),
      ...(data.checkpointAt !== undefined ? { checkpointAt: data.checkpointAt } : {}),
      ...(data.deadline !== undefined ? { deadlineAt: data.deadline } : {}),
      ...(data.runSeconds !== undefined ? { runSeconds: data.runSeconds } : {}),
      observedAt,
      source: 'cloudevents',
      eventId,
    },
    ctx,
  );
  return oneSignalEvent(ctx, eventId, signal, {
    source: 'cloudevents',
    dimensions: { ...(data.labels ?? {}), ...(data.framework ? { framework: data.framework } : {}) },
    resourceIds: [ce.source],
  });
}
