/** The small pure mappings the parsers are built from, row by row. */
import { describe, expect, it } from 'vitest';
import { cloudEventsWebhookValidation, parseEvent, structuredFromBinary } from '../../../adapters/events/index.ts';
import {
  comparisonFromOperator,
  comparisonFromReason,
  datapointsFromReason,
  mergeDimensions,
  thresholdFromReason,
} from '../../../adapters/events/aws/cloudwatch-alarm.ts';
import { sageMakerJobEvent } from '../../../adapters/events/aws/sagemaker.ts';
import { azureComparison } from '../../../adapters/events/azure/monitor.ts';
import { azureMlJobEvent } from '../../../adapters/events/azure/ml.ts';
import { toEpochMs } from '../../../adapters/events/context.ts';
import { gpuModelFromAcceleratorType, vertexJobEvent } from '../../../adapters/events/gcp/vertex.ts';
import { scheduleName } from '../../../adapters/events/schedule-tick.ts';

describe('provider timestamps', () => {
  it.each([
    ['2019-10-02T17:04:40.989+0000', Date.UTC(2019, 9, 2, 17, 4, 40, 989)],
    ['2017-06-26T18:41:00.9584103Z', Date.UTC(2017, 5, 26, 18, 41, 0, 958)],
    ['Mon, 19 Sep 2016 18:29:47 GMT', Date.UTC(2016, 8, 19, 18, 29, 47)],
    ['2026-03-09T15:00:00-05:00', Date.UTC(2026, 2, 9, 20, 0, 0)],
    ['1583831889050', 1583831889050],
    [1577840461, 1577840461000],
    [1592411992203.0, 1592411992203],
    ['0001-01-01T00:00:00Z', undefined],
    ['yesterday', undefined],
    ['2019-10-02', undefined],
    ['', undefined],
    [-5, undefined],
    [Number.NaN, undefined],
    [null, undefined],
  ])('%s → %s', (input, expected) => {
    expect(toEpochMs(input)).toBe(expected);
  });
});

describe('CloudWatch reason text', () => {
  const reason =
    'Threshold Crossed: 3 out of the last 3 datapoints [5.5 (09/03/26 13:31:00), 4.25 (09/03/26 13:30:00), 4.0 (09/03/26 13:29:00)] were greater than or equal to the threshold (4.0) (minimum 3 datapoints for OK -> ALARM transition).';
  it('reads datapoints oldest first, the threshold and the direction', () => {
    expect(datapointsFromReason(reason)).toEqual([4, 4.25, 5.5]);
    expect(thresholdFromReason(reason)).toBe(4);
    expect(comparisonFromReason(reason)).toBe('above');
  });
  it.each([
    ['datapoint [7.0 (09/03/26 13:31:00)] was', [7]],
    ['datapoints [1.0, 2.0 and a list that never closes', undefined],
    ['no list here', undefined],
    ['datapoints [ datapoints [3.0]', undefined],
    ['datapoints [2.0, 1.0] then datapoints [9.0]', [1, 2]],
    [`${'datapoints ['.repeat(20_000)}`, undefined],
  ])('datapoints of %s', (text, expected) => {
    expect(datapointsFromReason(text)).toEqual(expected);
  });
  it.each([
    ['was not greater than the threshold (50.0)', 'above'],
    ['was less than the threshold (30.0).', 'below'],
    ['was not less than or equal to the threshold (1.0)', 'below'],
    ['was less than the lower thresholds [0.02] or greater than the upper thresholds [0.3]', undefined],
    ['Unchecked: Initial alarm creation', undefined],
  ])('%s → %s', (text, expected) => {
    expect(comparisonFromReason(text)).toBe(expected);
  });
  it.each([
    ['GreaterThanOrEqualToThreshold', 'above'],
    ['GreaterThanThreshold', 'above'],
    ['LessThanThreshold', 'below'],
    ['LessThanOrEqualToThreshold', 'below'],
    ['LessThanLowerOrGreaterThanUpperThreshold', undefined],
    ['GreaterThanUpperThreshold', undefined],
  ])('operator %s → %s', (operator, expected) => {
    expect(comparisonFromOperator(operator)).toBe(expected);
  });
  it('drops dimension keys the metrics disagree on', () => {
    expect(mergeDimensions([{ Pool: 'a', Region: 'x' }, { Pool: 'b', Region: 'x' }, { Extra: '1' }])).toEqual({
      Region: 'x',
      Extra: '1',
    });
  });
});

describe('job states', () => {
  it.each([
    ['InProgress', 'Starting', 'queued'],
    ['InProgress', 'LaunchingMLInstances', 'queued'],
    ['InProgress', 'Downloading', 'started'],
    ['InProgress', 'Training', 'started'],
    ['InProgress', undefined, 'started'],
    ['InProgress', 'Interrupted', 'preempted'],
    ['Completed', 'Completed', 'finished'],
    ['Failed', 'Failed', 'failed'],
    ['Stopped', 'Stopped', 'finished'],
    ['Stopped', 'MaxWaitTimeExceeded', 'failed'],
    ['Stopping', 'Stopping', undefined],
  ])('SageMaker %s/%s → %s', (status, secondary, expected) => {
    expect(sageMakerJobEvent(status, secondary)).toBe(expected);
  });
  it.each([
    ['JOB_STATE_QUEUED', 'queued'],
    ['JOB_STATE_PENDING', 'queued'],
    ['JOB_STATE_RUNNING', 'started'],
    ['JOB_STATE_SUCCEEDED', 'finished'],
    ['JOB_STATE_CANCELLED', 'finished'],
    ['JOB_STATE_FAILED', 'failed'],
    ['JOB_STATE_EXPIRED', 'failed'],
    ['JOB_STATE_CANCELLING', undefined],
    ['JOB_STATE_PAUSED', undefined],
  ])('Vertex %s → %s', (state, expected) => {
    expect(vertexJobEvent(state)).toBe(expected);
  });
  it.each([
    ['Queued', 'queued'],
    ['Preparing', 'queued'],
    ['Running', 'started'],
    ['running', 'started'],
    ['Completed', 'finished'],
    ['Canceled', 'finished'],
    ['failed', 'failed'],
    ['Finalizing', undefined],
    ['CancelRequested', undefined],
  ])('Azure ML %s → %s', (status, expected) => {
    expect(azureMlJobEvent(status)).toBe(expected);
  });
  it.each([
    ['NVIDIA_TESLA_A100', 'A100'],
    ['NVIDIA_A100_80GB', 'A100'],
    ['NVIDIA_H100_80GB', 'H100'],
    ['NVIDIA_H100_MEGA_80GB', 'H100'],
    ['NVIDIA_L4', 'L4'],
    ['NVIDIA_TESLA_T4', 'T4'],
    ['ACCELERATOR_TYPE_UNSPECIFIED', undefined],
    [undefined, undefined],
  ])('accelerator %s → %s', (type, expected) => {
    expect(gpuModelFromAcceleratorType(type)).toBe(expected);
  });
});

describe('names and operators', () => {
  it.each([
    ['arn:aws:scheduler:us-east-1:123456789012:schedule/default/tide-market-open', 'tide-market-open'],
    ['arn:aws:events:us-east-1:123456789012:rule/tide-every-minute', 'tide-every-minute'],
    ['projects/p/locations/us-central1/jobs/nightly', 'nightly'],
    ['plain-name', 'plain-name'],
    ['trailing/', 'trailing/'],
  ])('schedule %s → %s', (input, expected) => {
    expect(scheduleName(input)).toBe(expected);
  });
  it.each([
    ['GreaterThan', 'above'],
    ['GreaterThanOrEqual', 'above'],
    ['LessThan', 'below'],
    ['LowerThan', 'below'],
    ['Less Than', 'below'],
    ['Equals', undefined],
    [null, undefined],
  ])('Azure operator %s → %s', (operator, expected) => {
    expect(azureComparison(operator)).toBe(expected);
  });
});

describe('HTTP helpers', () => {
  it('answers the CloudEvents webhook validation (OPTIONS) with the origin', () => {
    expect(cloudEventsWebhookValidation({ 'webhook-request-origin': 'eventgrid.azure.net' })).toEqual({
      status: 200,
      headers: { 'WebHook-Allowed-Origin': 'eventgrid.azure.net', 'WebHook-Allowed-Rate': '*' },
    });
    expect(cloudEventsWebhookValidation({ 'content-type': 'application/json' })).toBeUndefined();
  });

  it('turns a binary-mode CloudEvent into the structured one the parser reads', () => {
    const structured = structuredFromBinary(
      {
        'ce-specversion': '1.0',
        'ce-id': 'x-1',
        'ce-source': '/ray/clusters/train-a100',
        'ce-type': 'dev.tide.job.started',
        'ce-subject': 'raysubmit_1',
        'ce-time': '2026-03-09T15:00:00Z',
        'Content-Type': 'application/json',
      },
      { framework: 'ray' },
    );
    const result = parseEvent(structured, 'auto');
    if (!result.ok) throw result.error;
    expect(result.event.signals[0]?.signal).toEqual({
      kind: 'job',
      event: 'started',
      jobId: 'raysubmit_1',
      observedAt: Date.parse('2026-03-09T15:00:00Z'),
      source: 'cloudevents',
      eventId: '/ray/clusters/train-a100#x-1',
    });
  });
});
