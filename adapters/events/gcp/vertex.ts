/**
 * Vertex AI custom jobs: the `CustomJob` resource (as the REST API returns it, published to Pub/Sub by a
 * notifier or a log sink). Its `state` maps to a job event; the GPU demand comes from the worker pools
 * that have accelerators (node count = their replicas, GPUs per node = the largest accelerator count).
 */
import { array, looseObject, number, record, string, union } from 'zod';
import type { JobEventType } from '../../../core/schema/signal.ts';
import { check, emptyEvent, fail, finishSignal, ProviderTimeSchema, stringMap, type ParseContext } from '../context.ts';
import type { ParsedEvent } from '../types.ts';

/** The Vertex AI CustomJob resource (the fields Tide reads). */
export const CustomJobSchema = looseObject({
  name: string().regex(/\/customJobs\/[^/]+$/, { message: 'expected projects/…/locations/…/customJobs/ID' }),
  displayName: string().optional(),
  state: string().regex(/^JOB_STATE_[A-Z_]+$/, { message: 'expected a JOB_STATE_… value' }),
  jobSpec: looseObject({
    workerPoolSpecs: array(
      looseObject({
        machineSpec: looseObject({
          machineType: string().optional(),
          acceleratorType: string().optional(),
          acceleratorCount: union([number(), string()]).optional(),
        }).optional(),
        // int64 fields are strings in Google's JSON ("2").
        replicaCount: union([number(), string()]).optional(),
      }).nullable(),
    ).optional(),
  }).optional(),
  labels: record(string(), string()).optional(),
  createTime: ProviderTimeSchema.optional(),
  startTime: ProviderTimeSchema.optional(),
  endTime: ProviderTimeSchema.optional(),
  updateTime: ProviderTimeSchema.optional(),
});

/** Whether the payload is a Vertex AI CustomJob (for `auto`). */
export function looksLikeVertexJob(payload: Record<string, unknown>): boolean {
  return typeof payload.name === 'string' && payload.name.includes('/customJobs/') && typeof payload.state === 'string';
}

/** The job event a JobState means, or undefined when it tells the core nothing new. */
export function vertexJobEvent(state: string): JobEventType | undefined {
  switch (state) {
    case 'JOB_STATE_QUEUED':
    case 'JOB_STATE_PENDING':
      return 'queued';
    case 'JOB_STATE_RUNNING':
      return 'started';
    case 'JOB_STATE_SUCCEEDED':
    case 'JOB_STATE_PARTIALLY_SUCCEEDED':
    case 'JOB_STATE_CANCELLED': // released its capacity, will not be retried
      return 'finished';
    case 'JOB_STATE_FAILED':
    case 'JOB_STATE_EXPIRED':
      return 'failed';
    default:
      return undefined; // CANCELLING, PAUSED, UPDATING, UNSPECIFIED
  }
}

/** `A100` from `NVIDIA_TESLA_A100` or `NVIDIA_A100_80GB`, `H100` from `NVIDIA_H100_MEGA_80GB`, `L4` from `NVIDIA_L4`. */
export function gpuModelFromAcceleratorType(type: string | undefined): string | undefined {
  if (!type || type === 'ACCELERATOR_TYPE_UNSPECIFIED') return undefined;
  const rest = type.replace(/^NVIDIA_/, '').replace(/^TESLA_/, '');
  return rest.split('_')[0] || undefined;
}

/** A Vertex AI CustomJob → one `job` signal, or a note. */
export function parseVertexJob(payload: unknown, ctx: ParseContext): ParsedEvent {
  const job = check(CustomJobSchema, payload, ctx);
  const jobId = job.name.slice(job.name.lastIndexOf('/') + 1);
  // The state is part of the identity: the same job is published once per state.
  const eventId = `${job.name}:${job.state}`;
  const event = emptyEvent(ctx.source, eventId);
  const jobEvent = vertexJobEvent(job.state);
  if (!jobEvent) {
    event.notes.push(`Vertex AI custom job ${jobId} is ${job.state}: nothing to do until it changes`);
    return event;
  }
  const observedAt = job.updateTime ?? job.endTime ?? job.startTime ?? job.createTime ?? ctx.options.receivedAt;
  if (observedAt === undefined) {
    return fail(
      { ...ctx, path: [...ctx.path, 'updateTime'] },
      'invalid',
      'a custom job needs updateTime (or createTime), was: nothing',
    );
  }
  let nodeCount = 0;
  let gpusPerNode = 0;
  let gpuModel: string | undefined;
  for (const pool of job.jobSpec?.workerPoolSpecs ?? []) {
    const gpus = Number(pool?.machineSpec?.acceleratorCount ?? 0);
    if (!pool || !Number.isInteger(gpus) || gpus <= 0) continue;
    const replicas = Number(pool.replicaCount ?? 1);
    if (Number.isInteger(replicas) && replicas > 0) nodeCount += replicas;
    gpusPerNode = Math.max(gpusPerNode, gpus);
    gpuModel ??= gpuModelFromAcceleratorType(pool.machineSpec?.acceleratorType);
  }
  const signal = finishSignal(
    {
      kind: 'job',
      event: jobEvent,
      jobId,
      ...(nodeCount > 0 ? { nodeCount } : {}),
      ...(gpusPerNode > 0 ? { gpusPerNode } : {}),
      ...(gpuModel ? { gpuModel } : {}),
      observedAt,
      source: 'gcp-vertex',
      eventId,
    },
    ctx,
  );
  event.signals.push({
    signal,
    route: {
      source: 'gcp-vertex',
      dimensions: { ...stringMap(job.labels), ...(job.displayName ? { displayName: job.displayName } : {}) },
      resourceIds: [job.name],
    },
  });
  return event;
}
