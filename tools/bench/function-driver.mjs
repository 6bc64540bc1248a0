// The child process of `npm run bench:function`: imports the bundle as its platform would (a fresh Node
// process, the bundle's own exports, configuration from the environment) and runs what the parent asks for
// over IPC. `via`: `events` (the AWS events function's `handler`), `api` (the AWS HTTP API function's
// `handler`, webhooks), `gcp` (`tideEvents`' handler: a Cloud Monitoring incident delivered by Pub/Sub through
// Eventarc), `azure` (`tideHttp`: an Azure Monitor metric alert posted by an action group). Plain JavaScript on purpose: nothing of the source tree is loaded here, only the
// bundle. A scenario that simulates time sets the clock the runtime reads (`Date.now`); the others use the real one.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [bundle, via = 'events'] = process.argv.slice(2);
/** The HTTP API function (`via` = `api`) takes webhooks: this key, with the `ingest` scope, is its credential. */
const apiKey = process.env.TIDE_BENCH_API_KEY ?? '';
let simulatedNow = null;
const realNow = Date.now;
Date.now = () => simulatedNow ?? realNow();

const loaded = await import(pathToFileURL(bundle).href);
const { handler } = loaded;

const iso = (ms) => new Date(ms).toISOString();

/** A CloudWatch alarm state change as EventBridge delivers it, carrying one datapoint of the alarm's metric. */
export function alarmEvent(id, alarmName, value, at) {
  const stamp = iso(at).replace('Z', '+0000');
  return {
    version: '0',
    id,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: iso(at).replace(/\.\d+Z$/, 'Z'),
    region: 'us-east-1',
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      configuration: {
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: {
                dimensions: { EndpointName: alarmName },
                name: 'ConcurrentRequestsPerModel',
                namespace: 'AWS/SageMaker',
              },
              period: 60,
              stat: 'Average',
            },
            returnData: true,
          },
        ],
      },
      previousState: { reason: 'Threshold Crossed', timestamp: stamp, value: 'OK' },
      state: {
        reason: 'Threshold Crossed',
        reasonData: JSON.stringify({
          version: '1.0',
          statistic: 'Average',
          period: 60,
          recentDatapoints: [value],
          threshold: 4,
        }),
        timestamp: stamp,
        value: 'ALARM',
      },
    },
  };
}

function sqsBatch(events) {
  return {
    Records: events.map((event, i) => ({
      messageId: `${event.id}-m${i}`,
      receiptHandle: `rh-${event.id}`,
      body: JSON.stringify(event),
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:tide-bench-events',
      awsRegion: 'us-east-1',
    })),
  };
}

/**
 * A Cloud Monitoring incident (schema 1.2) for the alert policy `alarmName` carrying `value`, as Pub/Sub
 * delivers it through Eventarc to `tideEvents` (the CloudEvent the Functions Framework hands over).
 */
function gcpIncidentEvent(id, alarmName, value, at) {
  const incident = {
    incident: {
      incident_id: id,
      scoping_project_id: 'bench',
      started_at: Math.floor(at / 1000),
      ended_at: null,
      state: 'open',
      policy_name: alarmName,
      condition_name: 'concurrent requests per replica',
      observed_value: String(value),
      threshold_value: '4',
      summary: 'bench',
      resource: { type: 'gce_instance', labels: { project_id: 'bench' } },
      metric: { type: 'custom.googleapis.com/concurrent_requests', displayName: 'concurrent requests' },
    },
    version: '1.2',
  };
  return {
    specversion: '1.0',
    id,
    source: '//pubsub.googleapis.com/projects/bench/topics/tide-monitoring',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    datacontenttype: 'application/json',
    time: iso(at),
    data: {
      message: { data: Buffer.from(JSON.stringify(incident)).toString('base64'), messageId: id, publishTime: iso(at) },
      subscription: 'projects/bench/subscriptions/eventarc-bench',
    },
  };
}

/** An Azure Monitor common-alert-schema metric alert for the rule `alarmName` carrying `value`. */
function azureAlert(id, alarmName, value, at) {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.AlertsManagement/alerts/${id}`,
        alertRule: alarmName,
        severity: 'Sev3',
        signalType: 'Metric',
        monitorCondition: 'Fired',
        monitoringService: 'Platform',
        alertTargetIDs: ['/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/bench'],
        originAlertId: id,
        firedDateTime: iso(at),
        description: 'bench',
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
      },
      alertContext: {
        properties: null,
        conditionType: 'SingleResourceMultipleMetricCriteria',
        condition: {
          windowSize: 'PT1M',
          allOf: [
            {
              metricName: 'ConcurrentRequests',
              metricNamespace: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
              operator: 'GreaterThan',
              threshold: '4',
              timeAggregation: 'Average',
              dimensions: [],
              metricValue: value,
            },
          ],
          windowStartTime: iso(at - 60_000),
          windowEndTime: iso(at),
        },
      },
    },
  };
}

/** The event that carries one datapoint of `value` for `alarmName` in the function's own cloud. */
function metricEvent(id, alarmName, value, at) {
  if (via === 'gcp') return gcpIncidentEvent(id, alarmName, value, at);
  if (via === 'azure') return azureAlert(id, alarmName, value, at);
  return alarmEvent(id, alarmName, value, at);
}

// `tideEvents` returns nothing (it throws to have Pub/Sub deliver again): what it decided is read from the
// runtime's ingest, which the handler calls (the same runtime object: functions/gcp/index.ts).
let lastIngest = null;
if (via === 'gcp') {
  const { runtime } = loaded.gcpRuntime();
  const ingest = runtime.ingest.ingest.bind(runtime.ingest);
  runtime.ingest.ingest = async (...args) => {
    lastIngest = await ingest(...args);
    return lastIngest;
  };
}
const azureFunctions = via === 'azure' ? createRequire(import.meta.url)('@azure/functions') : null;

/**
 * What the function is handed for `payload`: the EventBridge event itself (the events function), or an API
 * Gateway HTTP API (payload format 2.0) request posting it to `/v1/events/eventbridge` (the HTTP API
 * function). Either way the answer is read back as the ingest result ({ decisions, ... }).
 */
async function invoke(payload) {
  if (via === 'gcp') {
    lastIngest = null;
    await loaded.handlers.onCloudEvent(payload);
    return lastIngest;
  }
  if (via === 'azure') {
    const body = JSON.stringify(payload);
    // In plain Node the request classes come from the CommonJS entry (docs: STACK.md).
    const response = await loaded.handlers.http(
      new azureFunctions.HttpRequest({
        method: 'POST',
        url: `https://bench.azurewebsites.net/v1/events/azure-monitor?token=${apiKey}`,
        headers: { 'content-type': 'application/json' },
        query: { token: apiKey },
        body: { string: body },
      }),
      new azureFunctions.InvocationContext({ invocationId: `bench-${Date.now()}`, functionName: 'tideHttp' }),
    );
    // tideHttp answers with the bytes of the app's response (functions/azure/handlers.ts fromFetchResponse).
    const text = Buffer.from(response.body ?? new Uint8Array()).toString('utf8');
    if (response.status !== 200) throw new Error(`tideHttp answered ${response.status}: ${text}`);
    return JSON.parse(text);
  }
  if (via !== 'api') return handler(payload);
  const body = JSON.stringify(payload);
  const path = '/v1/events/aws-eventbridge';
  const now = Date.now();
  const response = await handler(
    {
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        host: 'bench.execute-api.us-east-1.amazonaws.com',
      },
      requestContext: {
        accountId: '123456789012',
        apiId: 'bench',
        domainName: 'bench.execute-api.us-east-1.amazonaws.com',
        domainPrefix: 'bench',
        http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
        requestId: `bench-${now}-${Math.random()}`,
        routeKey: '$default',
        stage: '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
      },
      body,
      isBase64Encoded: false,
    },
    {},
  );
  const answer = JSON.parse(response.isBase64Encoded ? Buffer.from(response.body, 'base64').toString() : response.body);
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${response.body}`);
  return answer;
}

function check(result, label) {
  const failures = result?.batchItemFailures ?? [];
  const rejected = result?.rejected ?? [];
  const failed = (result?.failures?.nonRetryable?.length ?? 0) + (result?.failures?.retryable?.length ?? 0);
  if (failures.length > 0 || rejected.length > 0 || failed > 0) throw new Error(`${label}: ${JSON.stringify(result)}`);
  // The GCP and Azure events must reach their target (a trigger that takes none would measure nothing).
  const unmatched = Array.isArray(result?.unmatched) ? result.unmatched.length : 0;
  if ((via === 'gcp' || via === 'azure') && (unmatched > 0 || result?.decisions?.length === 0))
    throw new Error(`${label}: no target took the event: ${JSON.stringify(result)}`);
  return result;
}

const scenarios = {
  /**
   * One target, one EventBridge event at a time, on a simulated clock. `hold`: the metric on target every
   * 10 s. `act`: the metric alternates between double and a quarter of target, 400 s apart (past the 300 s
   * scale-in window), so every decision scales out or in.
   */
  async sequence({ alarmPrefix, kind, events, startAt, prefix }) {
    let acted = 0;
    let decided = 0;
    for (let i = 0; i < events; i += 1) {
      simulatedNow = startAt + i * (kind === 'act' ? 400_000 : 10_000);
      const value = kind === 'act' ? (i % 2 === 0 ? 8 : 1) : 4;
      const result = check(
        await invoke(metricEvent(`${prefix}-${i}`, `${alarmPrefix}-high`, value, simulatedNow)),
        'sequence',
      );
      for (const decision of result.decisions) {
        decided += 1;
        if (decision.actions > 0) acted += 1;
      }
    }
    return { decided, acted, endAt: simulatedNow };
  },

  /**
   * A day of events every 10 s for one target on a simulated clock. Demand (concurrent requests) follows a
   * daily wave from 2 to 30 with ±30 % noise; the metric is demand per replica of the capacity Tide last
   * decided, so the loop is closed and capacity moves all day.
   */
  async day({ alarmName, startAt, prefix, seconds, stepSeconds }) {
    let seed = 1;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    };
    let decided = 0;
    let acted = 0;
    let replicas = 1;
    for (let t = 0, i = 0; t < seconds; t += stepSeconds, i += 1) {
      simulatedNow = startAt + t * 1000;
      const daily = 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / 86_400);
      const demand = (2 + 28 * daily) * (1 + 0.6 * noise());
      const value = Math.round((demand / Math.max(1, replicas)) * 100) / 100;
      const result = check(await invoke(metricEvent(`${prefix}-${i}`, alarmName, value, simulatedNow)), 'day');
      for (const decision of result.decisions) {
        decided += 1;
        if (decision.actions > 0) acted += 1;
        replicas = decision.desiredCapacity;
      }
    }
    return { decided, acted };
  },

  /**
   * Throughput on the real clock: SQS batches of `batchSize` records, one record per target, invoked one
   * after the other as one Lambda instance is (the HTTP API function: one webhook per event, one after the
   * other); values around target so most decisions hold.
   */
  async throughput({ alarmPrefix, targets, batches, batchSize, prefix }) {
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    let records = 0;
    for (let b = 0; b < batches; b += 1) {
      const events = [];
      for (let r = 0; r < batchSize; r += 1) {
        const target = (b * batchSize + r) % targets;
        events.push(
          metricEvent(`${prefix}-${b}-${r}`, `${alarmPrefix}-${target}-high`, 3.5 + (b % 3) * 0.5, Date.now()),
        );
      }
      if (via !== 'events') {
        // API Gateway hands a Lambda instance one request at a time (one webhook per event), the Functions
        // Framework one CloudEvent, the Azure host one request.
        for (const event of events) check(await invoke(event), 'throughput');
      } else check(await invoke(sqsBatch(events)), 'throughput');
      records += events.length;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    // CPU time the function's process spent per event: what the load of the machine does not change much.
    const cpuUsPerEvent = (used.user + used.system) / records;
    return { records, seconds, eventsPerSecond: records / seconds, cpuUsPerEvent };
  },
};

process.on('message', async (message) => {
  try {
    const result = await scenarios[message.scenario](message);
    process.send({ ok: true, result });
  } catch (error) {
    process.send({ ok: false, error: String(error?.stack ?? error) });
  }
});
// The parent disconnects when done: exit normally (a --cpu-prof profile is written on a normal exit only).
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
