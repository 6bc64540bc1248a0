import type { ApiScope } from '../../../adapters/ports/access-store.ts';
import type { SenderVerifier } from '../../../functions/http/senders.ts';
import { generateApiKey } from '../../../functions/http/api-keys.ts';
import { createServeRuntime, type ServeRuntime } from '../../../functions/serve/runtime.ts';
import type { ApiOptions } from '../../../functions/http/context.ts';

/** A settable clock for in-process tests. */
export class TestClock {
  constructor(public at = Date.parse('2026-03-02T14:00:00Z')) {}
  now = () => this.at;
  advance(ms: number) {
    this.at += ms;
  }
}

/** The serve runtime in-process (memory stores unless env says otherwise), with one key per scope. */
export async function startApi(
  options: {
    env?: Record<string, string | undefined>;
    api?: Partial<ApiOptions>;
    senders?: SenderVerifier;
    clock?: TestClock;
  } = {},
) {
  const lines: string[] = [];
  const clock = options.clock ?? new TestClock();
  const runtime: ServeRuntime = await createServeRuntime({
    env: options.env ?? {},
    cloud: 'simulated',
    clock,
    write: (line) => lines.push(line),
    bootSeconds: { default: 0 },
    ...(options.api ? { api: options.api } : {}),
    ...(options.senders ? { senders: options.senders } : {}),
  });
  const keys = {} as Record<ApiScope, string>;
  for (const scope of ['read', 'write', 'ingest', 'admin'] as ApiScope[]) {
    const { key, record } = generateApiKey([scope], `${scope} key`, clock.now());
    await runtime.access.createKey(record);
    keys[scope] = key;
  }
  const request = (
    method: string,
    path: string,
    init: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.key) headers.authorization = `Bearer ${init.key}`;
    let body: string | undefined;
    if (init.raw !== undefined) body = init.raw;
    else if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    return Promise.resolve(runtime.app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) }));
  };
  return { runtime, keys, clock, lines, request };
}

export const demoTarget = (id = 'llm') => ({
  id,
  kind: 'inference-endpoint',
  provider: 'simulated',
  pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand' }],
});

export const demoPolicy = (overrides: Record<string, unknown> = {}) => ({
  minCapacity: 1,
  maxCapacity: 8,
  targetTracking: [{ metric: 'GPUUtilization', targetValue: 70, windowSeconds: 0 }],
  triggers: [{ source: 'aws-cloudwatch', alarmName: 'tide-*' }],
  ...overrides,
});

/** A CloudWatch alarm as EventBridge (or an EventBridge API destination) delivers it. */
export function alarmEvent(options: { id: string; alarmName: string; value: number; at: number; state?: string }) {
  const time = new Date(options.at).toISOString();
  const reasonData = JSON.stringify({ recentDatapoints: [options.value], threshold: 70.0 });
  return {
    version: '0',
    id: options.id,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time,
    region: 'us-east-1',
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${options.alarmName}`],
    detail: {
      alarmName: options.alarmName,
      configuration: {
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: {
                dimensions: { EndpointName: 'llm' },
                name: 'GPUUtilization',
                namespace: '/aws/sagemaker/Endpoints',
              },
              period: 60,
              stat: 'Average',
            },
            returnData: true,
          },
        ],
      },
      previousState: { reason: '', timestamp: time, value: 'OK' },
      state: { reason: 'Threshold Crossed', reasonData, timestamp: time, value: options.state ?? 'ALARM' },
    },
  };
}
