/**
 * Alertmanager end to end, with Debian's real Alertmanager on a free port and `tide serve` as a process:
 * Alertmanager's webhook receiver posts to `/v1/events/alertmanager` with basic auth (an ingest key as the
 * password). A firing alert raises the target's capacity (a step-scaling rule on the alert); the repeats
 * Alertmanager sends every repeat_interval do not act again; the resolved alert arrives as OK and raises
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, type Daemon } from '../../support/prometheus.ts';
import { startTideServe, waitFor, type TideServe } from '../../support/tide-serve.ts';
import { demoPolicy, demoTarget } from '../http/support.ts';

let serve: TideServe;
let alertmanager: Daemon;
let key: string;

const call = async (method: string, path: string, body?: unknown, withKey = key) => {
  const response = await fetch(`${serve.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${withKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

interface Entry {
  outcome: string;
  desiredCapacity: number;
  currentCapacity: number;
  signal: { kind: string; source: string; detail: string };
}
const fromAlertmanager = async () =>
  ((await call('GET', '/v1/targets/llm/decisions?limit=100')).body.decisions as Entry[]).filter(
    (d) => d.signal.source === 'alertmanager',
  );
const desired = async () =>
  ((await call('GET', '/v1/targets/llm/status')).body.observed as { pools: { desired: number }[] }).pools[0]!.desired;

beforeAll(async () => {
  serve = await startTideServe([]);
  key = serve.firstKey!;
  expect((await call('PUT', '/v1/targets/llm', demoTarget('llm'))).status).toBe(200);
  const policy = demoPolicy({
    minCapacity: 1,
    maxCapacity: 10,
    targetTracking: [],
    stepScaling: [{ alarmName: 'TideQueueHigh', steps: [{ lowerBound: 0, adjustment: 2 }] }],
    triggers: [{ source: 'alertmanager', alarmName: 'TideQueueHigh' }],
  });
  expect((await call('PUT', '/v1/targets/llm/policy', policy)).status).toBe(200);
  const ingest = (await call('POST', '/v1/keys', { scopes: ['ingest'], name: 'alertmanager' })).body.key as string;
  alertmanager = await startAlertmanager({
    route: {
      receiver: 'tide',
      group_by: ['alertname'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '2s',
    },
    receivers: [
      {
        name: 'tide',
        webhook_configs: [
          {
            url: `${serve.url}/v1/events/alertmanager`,
            send_resolved: true,
            http_config: { basic_auth: { username: 'alertmanager', password: ingest } },
          },
        ],
      },
    ],
  });
}, 60_000);
afterAll(async () => {
  await alertmanager?.close();
  await serve?.stop();
});

async function postAlert(endsAt: Date, startsAt: Date) {
  const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      {
        labels: { alertname: 'TideQueueHigh', severity: 'page', model: 'llama-3-8b' },
        annotations: { value: '30', threshold: '10', comparison: 'above', summary: 'requests waiting' },
        startsAt: startsAt.toISOString(),
        endsAt: endsAt.toISOString(),
      },
    ]),
    signal: AbortSignal.timeout(5000),
  });
  expect(response.status).toBe(200);
}

/** Webhook notifications Alertmanager has sent successfully, by its own counter. */
const notificationsSent = async () => {
  const text = await (await fetch(`${alertmanager.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const sent = /^alertmanager_notifications_total\{integration="webhook"\} (\d+)/m.exec(text);
  const failed = /^alertmanager_notifications_failed_total\{integration="webhook"\} (\d+)/m.exec(text);
  return { sent: Number(sent?.[1] ?? 0), failed: Number(failed?.[1] ?? 0) };
};

describe('Alertmanager → tide serve', () => {
  it('a firing alert raises capacity once however often it is repeated; the resolved alert is taken as OK', async () => {
    const before = await waitFor('the simulated cloud to report the target', desired);
    const startsAt = new Date();
    await postAlert(new Date(Date.now() + 3600_000), startsAt);

    const [raised] = await waitFor(
      'the firing alert to reach Tide',
      async () => {
        const entries = await fromAlertmanager();
        return entries.length > 0 ? entries : undefined;
      },
      30_000,
    );
    expect(raised).toMatchObject({ outcome: 'scale-out', desiredCapacity: before + 2 });
    expect(raised!.signal.detail).toContain('TideQueueHigh');
    expect(raised!.signal.detail).toContain('ALARM');

    // Alertmanager repeats the firing group every repeat_interval (2 s): wait for two more deliveries.
    const sentAfterFirst = (await notificationsSent()).sent;
    await waitFor(
      'two repeated notifications',
      async () => ((await notificationsSent()).sent >= sentAfterFirst + 2 ? true : undefined),
      30_000,
    );
    expect((await notificationsSent()).failed).toBe(0);
    expect((await fromAlertmanager()).filter((d) => d.outcome === 'scale-out')).toHaveLength(1);
    expect(await desired()).toBe(before + 2);

    // Resolved: the same alert with an end in the past.
    await postAlert(new Date(Date.now() - 1000), startsAt);
    const resolved = await waitFor(
      'the resolved alert to reach Tide',
      async () => {
        const entry = (await fromAlertmanager()).find((d) => d.signal.detail.includes('OK'));
        return entry;
      },
      30_000,
    );
    expect(resolved.outcome).not.toBe('scale-out');
    expect(resolved.desiredCapacity).toBeLessThanOrEqual(before + 2);
    expect((await fromAlertmanager()).filter((d) => d.outcome === 'scale-out')).toHaveLength(1);
  }, 60_000);

  it('a webhook without the ingest key is refused (401)', async () => {
    const answer = await fetch(`${serve.url}/v1/events/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version: '4', alerts: [] }),
    });
    expect(answer.status).toBe(401);
  });
});
