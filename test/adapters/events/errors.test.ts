/** Bad input: every failure is an EventParseError naming the source, the path and what was there. */
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_BYTES, EventParseError, parseEvent } from '../../../adapters/events/index.ts';
import { fixtureJson, fixtureText } from './support.ts';

type Json = Record<string, unknown>;

/** A copy of a fixture with the value at `path` replaced (undefined deletes the field). */
function mutated(file: string, path: (string | number)[], value: unknown): unknown {
  const copy = fixtureJson(file) as Json;
  let here: Json = copy;
  for (const key of path.slice(0, -1)) here = here[key] as Json;
  const last = path[path.length - 1]!;
  if (value === undefined) delete here[last];
  else here[last] = value;
  return copy;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

interface Row {
  name: string;
  payload: unknown;
  source: string;
  code: EventParseError['code'];
  errorSource: string;
  path: string;
  /** A piece of the message that says what was wrong. */
  says: string;
  options?: Parameters<typeof parseEvent>[2];
}

const rows: Row[] = [
  {
    name: 'not JSON',
    payload: 'hello',
    source: 'auto',
    code: 'malformed',
    errorSource: 'auto',
    path: '(root)',
    says: 'not JSON',
  },
  {
    name: 'truncated JSON',
    payload: fixtureText('aws/eventbridge-spot-interruption.json').slice(0, 120),
    source: 'aws-eventbridge',
    code: 'malformed',
    errorSource: 'aws-eventbridge',
    path: '(root)',
    says: 'not JSON',
  },
  {
    name: 'over the configured limit',
    payload: fixtureText('aws/eventbridge-spot-interruption.json'),
    source: 'auto',
    options: { maxBytes: 100 },
    code: 'too-large',
    errorSource: 'auto',
    path: '(root)',
    says: 'over the 100-byte limit',
  },
  {
    name: 'over the default 256 KB limit (decoded value)',
    payload: {
      ...(fixtureJson('aws/eventbridge-spot-interruption.json') as Json),
      padding: 'x'.repeat(DEFAULT_MAX_BYTES),
    },
    source: 'aws-eventbridge',
    code: 'too-large',
    errorSource: 'aws-eventbridge',
    path: '(root)',
    says: 'over the 262144-byte limit',
  },
  {
    name: 'unknown source name',
    payload: '{}',
    source: 'aws-kinesis',
    code: 'unknown-source',
    errorSource: 'aws-kinesis',
    path: '(root)',
    says: 'was: "aws-kinesis"',
  },
  {
    name: 'auto cannot tell',
    payload: { hello: 'world' },
    source: 'auto',
    code: 'unknown-source',
    errorSource: 'auto',
    path: '(root)',
    says: 'a payload Tide knows',
  },
  {
    name: 'alarm state not a CloudWatch state',
    payload: mutated('aws/eventbridge-cloudwatch-alarm-single-metric.json', ['detail', 'state', 'value'], 'BROKEN'),
    source: 'auto',
    code: 'invalid',
    errorSource: 'aws-eventbridge',
    path: 'detail.state.value',
    says: 'was: "BROKEN"',
  },
  {
    name: 'reason data is not JSON',
    payload: mutated(
      'aws/eventbridge-cloudwatch-alarm-single-metric.json',
      ['detail', 'state', 'reasonData'],
      '{"recentDatapoints":[1',
    ),
    source: 'auto',
    code: 'malformed',
    errorSource: 'aws-eventbridge',
    path: 'detail.state.reasonData',
    says: 'expected a JSON document',
  },
  {
    name: 'spot warning without an instance id',
    payload: mutated('aws/eventbridge-spot-interruption.json', ['detail', 'instance-id'], undefined),
    source: 'aws-eventbridge',
    code: 'invalid',
    errorSource: 'aws-eventbridge',
    path: 'detail.instance-id',
    says: 'the field is missing',
  },
  {
    name: 'spot warning with an unknown action',
    payload: mutated('aws/eventbridge-spot-interruption.json', ['detail', 'instance-action'], 'reboot'),
    source: 'aws-eventbridge',
    code: 'invalid',
    errorSource: 'aws-eventbridge',
    path: 'detail.instance-action',
    says: 'was: "reboot"',
  },
  {
    name: 'EventBridge kind Tide does not read',
    payload: mutated(
      'aws/eventbridge-spot-interruption.json',
      ['detail-type'],
      'EC2 Instance State-change Notification',
    ),
    source: 'aws-eventbridge',
    code: 'unsupported',
    errorSource: 'aws-eventbridge',
    path: 'detail-type',
    says: 'was: "EC2 Instance State-change Notification"',
  },
  {
    name: 'SNS Message that is not JSON',
    payload: mutated('aws/sns-http-cloudwatch-alarm-metric-math.json', ['Message'], 'ALARM!'),
    source: 'aws-sns',
    code: 'malformed',
    errorSource: 'aws-sns',
    path: 'Message',
    says: 'expected a JSON document',
  },
  {
    name: 'SNS alarm with a bad new state, via Lambda',
    payload: (() => {
      const event = fixtureJson('aws/sns-lambda-cloudwatch-alarm.json') as { Records: { Sns: { Message: string } }[] };
      const alarm = JSON.parse(event.Records[0]!.Sns.Message) as Json;
      alarm.NewStateValue = 'ON_FIRE';
      event.Records[0]!.Sns.Message = JSON.stringify(alarm);
      return event;
    })(),
    source: 'auto',
    code: 'invalid',
    errorSource: 'aws-cloudwatch-alarm',
    path: 'Records[0].Sns.Message.NewStateValue',
    says: 'was: "ON_FIRE"',
  },
  {
    name: 'SQS event without records',
    payload: { Records: [] },
    source: 'aws-sqs',
    code: 'invalid',
    errorSource: 'aws-sqs',
    path: 'Records',
    says: '',
  },
  {
    name: 'Pub/Sub data that is not base64',
    payload: mutated('gcp/pubsub-monitoring-incident.json', ['message', 'data'], '%%% not base64 %%%'),
    source: 'gcp-pubsub',
    code: 'malformed',
    errorSource: 'gcp-pubsub',
    path: 'message.data',
    says: 'expected base64',
  },
  {
    name: 'Pub/Sub data that is base64 but not JSON',
    payload: mutated('gcp/pubsub-monitoring-incident.json', ['message', 'data'], b64('incident!')),
    source: 'auto',
    code: 'malformed',
    errorSource: 'gcp-pubsub',
    path: 'message.data',
    says: 'expected a JSON document',
  },
  {
    name: 'incident in an unknown state',
    payload: mutated('gcp/monitoring-incident-open.json', ['incident', 'state'], 'acknowledged'),
    source: 'gcp-monitoring',
    code: 'invalid',
    errorSource: 'gcp-monitoring',
    path: 'incident.state',
    says: 'was: "acknowledged"',
  },
  {
    name: 'incident without a policy name',
    payload: mutated('gcp/monitoring-incident-open.json', ['incident', 'policy_name'], 42),
    source: 'auto',
    code: 'invalid',
    errorSource: 'gcp-monitoring',
    path: 'incident.policy_name',
    says: 'was: 42',
  },
  {
    name: 'audit log entry of another method',
    payload: mutated(
      'gcp/audit-log-compute-preempted.json',
      ['protoPayload', 'methodName'],
      'v1.compute.instances.stop',
    ),
    source: 'gcp-audit-log',
    code: 'unsupported',
    errorSource: 'gcp-audit-log',
    path: 'protoPayload.methodName',
    says: 'was: "v1.compute.instances.stop"',
  },
  {
    name: 'Eventarc type Tide does not read',
    payload: mutated('gcp/eventarc-audit-log-preempted.json', ['type'], 'google.cloud.storage.object.v1.finalized'),
    source: 'auto',
    code: 'unsupported',
    errorSource: 'gcp-eventarc',
    path: 'type',
    says: 'was: "google.cloud.storage.object.v1.finalized"',
  },
  {
    name: 'Vertex job with a time that is not one',
    payload: mutated('gcp/vertex-custom-job-pending.json', ['createTime'], 'yesterday'),
    source: 'gcp-vertex',
    code: 'invalid',
    errorSource: 'gcp-vertex',
    path: 'createTime',
    says: 'was: "yesterday"',
  },
  {
    name: 'Azure alert with an unknown monitor condition',
    payload: mutated('azure/monitor-metric-alert-fired.json', ['data', 'essentials', 'monitorCondition'], 'Maybe'),
    source: 'auto',
    code: 'invalid',
    errorSource: 'azure-monitor',
    path: 'data.essentials.monitorCondition',
    says: 'was: "Maybe"',
  },
  {
    name: 'Event Grid event type Tide does not read',
    payload: [
      {
        ...((fixtureJson('azure/eventgrid-ml-run-status-changed.json') as Json[])[0] as Json),
        eventType: 'Microsoft.Storage.BlobCreated',
      },
    ],
    source: 'azure-eventgrid',
    code: 'unsupported',
    errorSource: 'azure-eventgrid',
    path: '[0].eventType',
    says: 'was: "Microsoft.Storage.BlobCreated"',
  },
  {
    name: 'Azure ML run without a run id',
    payload: [
      {
        ...((fixtureJson('azure/eventgrid-ml-run-status-changed.json') as Json[])[0] as Json),
        data: { runStatus: 'Running' },
      },
    ],
    source: 'azure-eventgrid',
    code: 'invalid',
    errorSource: 'azure-eventgrid',
    path: '[0].data.runId',
    says: 'the field is missing',
  },
  {
    name: 'Preempt without a NotBefore time',
    payload: (() => {
      const doc = fixtureJson('azure/scheduled-events-preempt.json') as { Events: Json[] };
      doc.Events[0]!.NotBefore = '';
      return doc;
    })(),
    source: 'azure-scheduled-events',
    code: 'invalid',
    errorSource: 'azure-scheduled-events',
    path: 'Events[0].NotBefore',
    says: 'was: ""',
  },
  {
    name: 'timer tick without a receive time',
    payload: fixtureText('azure/timer-info.json'),
    source: 'azure-timer',
    options: {},
    code: 'invalid',
    errorSource: 'azure-timer',
    path: '(root)',
    says: 'receive time',
  },
  {
    name: 'Alertmanager webhook of another version',
    payload: mutated('alertmanager/webhook-firing-grouped.json', ['version'], '3'),
    source: 'alertmanager',
    code: 'invalid',
    errorSource: 'alertmanager',
    path: 'version',
    says: 'was: "3"',
  },
  {
    name: 'alert without an alertname',
    payload: (() => {
      const hook = fixtureJson('alertmanager/webhook-firing-grouped.json') as { alerts: { labels: Json }[] };
      delete hook.alerts[1]!.labels.alertname;
      return hook;
    })(),
    source: 'auto',
    code: 'invalid',
    errorSource: 'alertmanager',
    path: 'alerts[1].labels.alertname',
    says: 'alertname',
  },
  {
    name: 'queued job without its GPU demand',
    payload: mutated('cloudevents/ray-job-queued.json', ['data', 'gpusPerNode'], undefined),
    source: 'cloudevents',
    code: 'invalid',
    errorSource: 'cloudevents',
    path: 'data.gpusPerNode',
    says: 'GPU demand',
  },
  {
    name: 'job event of an unknown type',
    payload: mutated('cloudevents/ray-job-queued.json', ['type'], 'dev.tide.job.paused'),
    source: 'cloudevents',
    code: 'invalid',
    errorSource: 'cloudevents',
    path: 'type',
    says: 'was: "dev.tide.job.paused"',
  },
  {
    name: 'queued job whose deadline is not an RFC 3339 time',
    payload: mutated('cloudevents/ray-job-queued-deadline.json', ['data', 'deadline'], 'tomorrow 9am'),
    source: 'cloudevents',
    code: 'invalid',
    errorSource: 'cloudevents',
    path: 'data.deadline',
    says: 'expected an RFC 3339 time, e.g. 2026-03-09T21:00:00Z, was: "tomorrow 9am"',
  },
  {
    name: 'queued job whose deadline has no time zone',
    payload: mutated('cloudevents/ray-job-queued-deadline.json', ['data', 'deadline'], '2026-03-10T00:00:00'),
    source: 'auto',
    code: 'invalid',
    errorSource: 'cloudevents',
    path: 'data.deadline',
    says: 'was: "2026-03-10T00:00:00"',
  },
  {
    name: 'queued job with a run time of zero',
    payload: mutated('cloudevents/ray-job-queued-deadline.json', ['data', 'runSeconds'], 0),
    source: 'cloudevents',
    code: 'invalid',
    errorSource: 'cloudevents',
    path: 'data.runSeconds',
    says: 'expected a positive number of seconds, was: 0',
  },
  {
    name: 'queued job with a run time as text',
    payload: mutated('cloudevents/ray-job-queued-deadline.json', ['data', 'runSeconds'], '6h'),
    source: 'cloudevents',
    code: 'invalid',
    errorSource: 'cloudevents',
    path: 'data.runSeconds',
    says: 'was: "6h"',
  },
  {
    name: 'job event with a negative node count',
    payload: mutated('cloudevents/ray-job-queued.json', ['data', 'nodeCount'], -2),
    source: 'auto',
    code: 'invalid',
    errorSource: 'cloudevents',
    path: 'data.nodeCount',
    says: 'was: -2',
  },
  {
    // Found by npm run fuzz: it failed inside the tick builder as an untyped parser-failure.
    name: 'Cloud Scheduler tick with a non-string subscription',
    payload: mutated('gcp/scheduler-pubsub-tick.json', ['subscription'], 5),
    source: 'gcp-scheduler',
    code: 'invalid',
    errorSource: 'gcp-scheduler',
    path: 'subscription',
    says: 'was: 5',
  },
  {
    name: 'Cloud Scheduler tick with a non-string schedule attribute',
    payload: mutated('gcp/scheduler-pubsub-tick.json', ['message', 'attributes'], { schedule: {} }),
    source: 'gcp-scheduler',
    code: 'invalid',
    errorSource: 'gcp-scheduler',
    path: 'message.attributes.schedule',
    says: 'was: {}',
  },
  {
    // Found by npm run fuzz: KINDS["constructor"] was Object's constructor, which returned the envelope.
    name: 'EventBridge event whose detail-type is an Object.prototype member',
    payload: mutated('aws/eventbridge-cloudwatch-alarm-single-metric.json', ['detail-type'], 'constructor'),
    source: 'aws-eventbridge',
    code: 'unsupported',
    errorSource: 'aws-eventbridge',
    path: 'detail-type',
    says: 'was: "constructor"',
  },
];

describe('bad input', () => {
  it.each(rows)('$name → $code at $path', (row) => {
    const result = parseEvent(
      typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload),
      row.source,
      row.options ?? { receivedAt: Date.parse('2026-03-09T13:30:00Z') },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(EventParseError);
    expect([result.error.code, result.error.source, result.error.path]).toEqual([row.code, row.errorSource, row.path]);
    expect(result.error.message).toContain(row.says);
  });

  it('is a 400 and never worth a retry, and serialises without the stack', () => {
    const result = parseEvent('{', 'auto');
    if (result.ok) throw new Error('expected a failure');
    expect(result.error.httpStatus).toBe(400);
    expect(result.error.retryable).toBe(false);
    expect(JSON.parse(JSON.stringify(result.error))).toEqual({
      error: 'EventParseError',
      code: 'malformed',
      source: 'auto',
      path: '(root)',
      message: expect.stringContaining('not JSON'),
    });
  });

  it('takes bytes as well as text, and measures the limit in bytes', () => {
    // 100 two-byte characters: 100 characters, 200 bytes.
    const text = JSON.stringify({
      tide: 'schedule-tick',
      schedule: 'é'.repeat(100),
      scheduledTime: '2026-03-09T13:30:00Z',
    });
    expect(parseEvent(Buffer.from(text), 'tide-tick').ok).toBe(true);
    const limited = parseEvent(text, 'tide-tick', { maxBytes: text.length + 50 });
    expect(limited.ok ? 'ok' : limited.error.code).toBe('too-large');
  });
});

describe('the size limit is checked at a cost bounded by the limit, not by the payload', () => {
  const limit = 1_000;
  it.each([
    { label: 'text', value: 'x'.repeat(5_000_000) },
    { label: 'a decoded array', value: Array.from({ length: 2_000_000 }, () => 1) },
    { label: 'a decoded string member', value: { a: 'x'.repeat(5_000_000) } },
  ])('$label far over the limit is refused as too-large without serializing it', ({ value }) => {
    const stringify = vi.spyOn(JSON, 'stringify');
    const byteLength = vi.spyOn(Buffer, 'byteLength');
    try {
      const result = parseEvent(value, 'auto', { maxBytes: limit });
      expect(result.ok ? 'ok' : result.error.code).toBe('too-large');
      expect(stringify).not.toHaveBeenCalled();
      expect(byteLength).not.toHaveBeenCalled();
    } finally {
      stringify.mockRestore();
      byteLength.mockRestore();
    }
  });

  it.each([
    { label: 'at the limit', extra: 0, verdict: 'not too-large' },
    { label: 'one byte over', extra: 1, verdict: 'too-large' },
  ])('a decoded value exactly $label: the lower bound never refuses what fits', ({ extra, verdict }) => {
    // {"a":"xxx…","b":[1,2],"c":null} with a member left out by JSON (undefined)
    const base = { a: '', b: [1, 2], c: null, d: undefined };
    const length = JSON.stringify(base).length;
    const value = { ...base, a: 'x'.repeat(limit - length + extra) };
    expect(JSON.stringify(value).length).toBe(limit + extra);
    const result = parseEvent(value, 'auto', { maxBytes: limit });
    expect(!result.ok && result.error.code === 'too-large' ? 'too-large' : 'not too-large').toBe(verdict);
  });
});
