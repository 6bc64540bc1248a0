/**
 * Azure Machine Learning `Microsoft.MachineLearningServices.RunStatusChanged` (Event Grid, either schema).
 * The run status maps to a job event; the event carries no GPU demand (the compute target does).
 */
import { looseObject, record, string, unknown as zunknown } from 'zod';
import type { JobEventType } from '../../../core/schema/signal.ts';
import { check, child, emptyEvent, finishSignal, stringMap, type ParseContext } from '../context.ts';
import type { ParsedEvent } from '../types.ts';
import type { GridEvent } from './grid-event.ts';

const RunStatusDataSchema = looseObject({
  experimentId: string().optional(),
  experimentName: string().optional(),
  runId: string().min(1),
  runType: string().nullable().optional(),
  runTags: record(string(), zunknown()).nullable().optional(),
  runStatus: string().min(1),
});

/** The job event a run status means (the documented example writes it in lower case: "failed"). */
export function azureMlJobEvent(status: string): JobEventType | undefined {
  switch (status.toLowerCase()) {
    case 'notstarted':
    case 'queued':
    case 'preparing':
    case 'starting':
    case 'provisioning':
      return 'queued';
    case 'running':
      return 'started';
    case 'completed':
    case 'canceled': // released its compute and will not be retried
      return 'finished';
    case 'failed':
      return 'failed';
    default:
      return undefined; // CancelRequested, Finalizing: capacity is still held
  }
}

/** An Azure ML RunStatusChanged event → one `job` signal, or a note. */
export function parseAzureMlRunStatus(grid: GridEvent, ctx: ParseContext): ParsedEvent {
  const data = check(RunStatusDataSchema, grid.data, child(ctx, 'data'));
  const event = emptyEvent(ctx.source, grid.id);
  const jobEvent = azureMlJobEvent(data.runStatus);
  if (!jobEvent) {
    event.notes.push(`Azure ML run ${data.runId} is ${data.runStatus}: nothing to do until it changes`);
    return event;
  }
  const signal = finishSignal(
    { kind: 'job', event: jobEvent, jobId: data.runId, observedAt: grid.time, source: 'azure-ml', eventId: grid.id },
    ctx,
  );
  event.signals.push({
    signal,
    route: {
      source: 'azure-ml',
      dimensions: {
        ...stringMap(data.runTags),
        ...(data.experimentName ? { experimentName: data.experimentName } : {}),
      },
      resourceIds: [grid.source, ...(grid.subject ? [grid.subject] : [])].filter((id) => id.length > 0),
    },
  });
  return event;
}
