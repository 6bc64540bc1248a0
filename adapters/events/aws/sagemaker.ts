/**
 * "SageMaker Training Job State Change" (EventBridge, source `aws.sagemaker`) → `job` signals. The GPU
 * demand comes from `ResourceConfig`: the instance count is the node count, the instance type's GPUs (from
 * the catalog) the GPUs per node. Managed spot training reports an interruption as the secondary status
 * `Interrupted` while the job is still `InProgress`: that is a preemption.
 */
import { array, looseObject, number, record, string, union, unknown as zunknown } from 'zod';
import { lookupInstanceType } from '../../../core/catalog/index.ts';
import type { JobEventType } from '../../../core/schema/signal.ts';
import { check, child, emptyEvent, finishSignal, stringMap, type ParseContext } from '../context.ts';
import type { ParsedEvent } from '../types.ts';
import type { EventBridgeEnvelope } from './eventbridge-envelope.ts';

const TrainingJobDetailSchema = looseObject({
  TrainingJobName: string().min(1),
  TrainingJobArn: string().optional(),
  TrainingJobStatus: string().min(1),
  SecondaryStatus: string().optional(),
  FailureReason: string().optional(),
  ResourceConfig: looseObject({
    InstanceType: string().optional(),
    InstanceCount: union([number(), string()]).optional(),
  }).optional(),
  // The documented example has `"Tags": {}`; DescribeTrainingJob-style lists of {Key, Value} also occur.
  Tags: union([record(string(), zunknown()), array(looseObject({ Key: string(), Value: string() }))]).optional(),
});

/** Secondary statuses of an `InProgress` job before it computes (capacity is still being found). */
const WAITING = new Set(['Starting', 'Pending', 'LaunchingMLInstances', 'PreparingTrainingStack', 'Restarting']);

/** The job event a status means, or undefined when there is nothing to tell the core. */
export function sageMakerJobEvent(status: string, secondary: string | undefined): JobEventType | undefined {
  switch (status) {
    case 'InProgress':
      if (secondary === 'Interrupted') return 'preempted';
      return secondary && WAITING.has(secondary) ? 'queued' : 'started';
    case 'Completed':
      return 'finished';
    case 'Failed':
      return 'failed';
    // A stopped job released its instances and will not be retried: for capacity it has finished.
    case 'Stopped':
      return secondary === 'MaxWaitTimeExceeded' || secondary === 'MaxRuntimeExceeded' ? 'failed' : 'finished';
    default:
      return undefined; // Stopping: the instances are still held; the Stopped event follows.
  }
}

/** "SageMaker Training Job State Change" → one `job` signal, or a note when the status means nothing new. */
export function parseSageMakerTrainingJob(envelope: EventBridgeEnvelope, ctx: ParseContext): ParsedEvent {
  const detail = check(TrainingJobDetailSchema, envelope.detail, child(ctx, 'detail'));
  const event = emptyEvent(ctx.source, envelope.id);
  const jobEvent = sageMakerJobEvent(detail.TrainingJobStatus, detail.SecondaryStatus);
  if (!jobEvent) {
    event.notes.push(
      `SageMaker training job ${detail.TrainingJobName} is ${detail.TrainingJobStatus}: nothing to do until it changes`,
    );
    return event;
  }
  const instanceType = detail.ResourceConfig?.InstanceType;
  // SageMaker's `ml.p4d.24xlarge` is EC2's `p4d.24xlarge` underneath: same GPUs.
  const info = instanceType
    ? (lookupInstanceType(instanceType) ?? lookupInstanceType(instanceType.replace(/^ml\./, '')))
    : undefined;
  const count = Number(detail.ResourceConfig?.InstanceCount);
  const tags = Array.isArray(detail.Tags)
    ? Object.fromEntries(detail.Tags.map((tag) => [tag.Key, tag.Value]))
    : stringMap(detail.Tags);
  const signal = finishSignal(
    {
      kind: 'job',
      event: jobEvent,
      jobId: detail.TrainingJobName,
      ...(Number.isInteger(count) && count > 0 ? { nodeCount: count } : {}),
      ...(info && info.gpus > 0 ? { gpusPerNode: info.gpus, gpuModel: info.gpuModel } : {}),
      observedAt: envelope.time,
      source: 'aws-sagemaker',
      eventId: envelope.id,
    },
    ctx,
  );
  if (instanceType && !info)
    event.notes.push(`instance type ${instanceType} is not in the catalog: GPU demand unknown`);
  event.signals.push({
    signal,
    route: {
      source: 'aws-sagemaker',
      dimensions: {
        ...tags,
        TrainingJobName: detail.TrainingJobName,
        ...(instanceType ? { InstanceType: instanceType } : {}),
      },
      resourceIds: [...new Set([...(detail.TrainingJobArn ? [detail.TrainingJobArn] : []), ...envelope.resources])],
    },
  });
  return event;
}
