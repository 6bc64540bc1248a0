#!/usr/bin/env node
/**
 * Tide's Azure Scheduled Events relay: Azure tells a spot VM of its eviction (`Preempt`, at least 30 s
 * ahead) only through the instance metadata endpoint, visible from inside the VM. This script runs on each
 * node (tide-relay.service), polls `http://169.254.169.254/metadata/scheduledevents` once a second, and posts
 * every new Preempt document, unchanged plus the VM's `resourceId`, to Tide's webhook
 * (`/v1/events/azure-scheduled-events`) with an ingest key. Tide then asks the job for a checkpoint and
 * replaces the node. The relay does not acknowledge the event (that would hasten the eviction).
 *
 * Bounded everywhere: each request has a timeout; a post is retried with backoff until it lands, the event's
 * NotBefore passes, or the attempts run out; an event is posted once. Node 20+, no dependencies.
 *
 * Environment: TIDE_WEBHOOK_URL (https://…/v1/events/azure-scheduled-events), TIDE_INGEST_KEY (or
 * TIDE_INGEST_KEY_FILE), optional TIDE_RELAY_INTERVAL_MS (1000), TIDE_METADATA_URL (for tests).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const METADATA = 'http://169.254.169.254';
const EVENTS_API = '2020-07-01';
const INSTANCE_API = '2021-02-01';

/**
 * @param {object} options
 * @param {string} options.webhookUrl Tide's scheduled-events webhook.
 * @param {string} options.key An ingest key.
 * @param {string} [options.metadataUrl] The instance metadata endpoint (default 169.254.169.254).
 * @param {number} [options.timeoutMs] Per request (default 3000).
 * @param {number} [options.attempts] Posts of one event at most (default 6).
 * @param {number} [options.baseDelayMs] First backoff (default 250; doubled, capped at 4 s).
 * @param {(line: object) => void} [options.log]
 * @param {() => number} [options.now]
 */
export function createRelay(options) {
  const metadataUrl = options.metadataUrl ?? METADATA;
  const timeoutMs = options.timeoutMs ?? 3000;
  const attempts = options.attempts ?? 6;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const log = options.log ?? ((line) => console.log(JSON.stringify({ time: new Date().toISOString(), ...line })));
  const now = options.now ?? Date.now;
  const posted = new Set();
  let resourceId;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function metadata(path) {
    const response = await fetch(`${metadataUrl}${path}`, {
      headers: { Metadata: 'true' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw new Error(`metadata ${path.split('?')[0]} answered ${response.status}`);
    return response.json();
  }

  /** The VM's Azure resource id, for Tide's trigger matching (read once; absent if the endpoint will not say). */
  async function vmResourceId() {
    if (resourceId !== undefined) return resourceId;
    try {
      const compute = await metadata(`/metadata/instance/compute?api-version=${INSTANCE_API}`);
      resourceId = typeof compute.resourceId === 'string' ? compute.resourceId : '';
    } catch (error) {
      log({ level: 'warn', message: 'relay: no resource id from the metadata endpoint', error: String(error.message) });
      return '';
    }
    return resourceId;
  }

  /** Post one document until Tide takes it (2xx), refuses it for good (4xx but 408/429), or time runs out. */
  async function post(document, deadline) {
    const body = JSON.stringify(document);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(options.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.key}` },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.ok) return true;
        if (response.status < 500 && response.status !== 408 && response.status !== 429) {
          log({ level: 'error', message: 'relay: Tide refused the event', status: response.status });
          return false;
        }
        log({ level: 'warn', message: 'relay: Tide did not take the event', status: response.status, attempt });
      } catch (error) {
        log({ level: 'warn', message: 'relay: post failed', error: String(error.message), attempt });
      }
      const delay = Math.min(4000, baseDelayMs * 2 ** (attempt - 1));
      if (attempt === attempts || now() + delay > deadline) break;
      await sleep(delay);
    }
    return false;
  }

  /** One poll: post every Preempt not posted yet. Resolves to the event ids posted. */
  async function pollOnce() {
    const document = await metadata(`/metadata/scheduledevents?api-version=${EVENTS_API}`);
    const events = Array.isArray(document?.Events) ? document.Events : [];
    const fresh = events.filter((event) => event?.EventType === 'Preempt' && !posted.has(event.EventId));
    if (fresh.length === 0) return [];
    const id = await vmResourceId();
    const deadline = Math.max(...fresh.map((event) => Date.parse(event.NotBefore ?? '') || now() + 30_000));
    const ok = await post({ ...document, Events: fresh, ...(id ? { resourceId: id } : {}) }, deadline);
    if (!ok) return [];
    for (const event of fresh) posted.add(event.EventId);
    log({ level: 'info', message: 'relay: preemption posted', events: fresh.map((event) => event.EventId) });
    return fresh.map((event) => event.EventId);
  }

  /** Poll every `intervalMs` until `signal` aborts; a failed poll is logged and the loop goes on. */
  async function run(signal, intervalMs = 1000) {
    while (!signal?.aborted) {
      try {
        await pollOnce();
      } catch (error) {
        log({ level: 'warn', message: 'relay: poll failed', error: String(error.message) });
      }
      await sleep(intervalMs);
    }
  }

  return { pollOnce, run, posted };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const key =
    process.env.TIDE_INGEST_KEY ??
    (process.env.TIDE_INGEST_KEY_FILE ? readFileSync(process.env.TIDE_INGEST_KEY_FILE, 'utf8').trim() : '');
  const webhookUrl = process.env.TIDE_WEBHOOK_URL ?? '';
  if (!key || !webhookUrl.startsWith('https://')) {
    console.error(
      'relay: set TIDE_WEBHOOK_URL (https://…/v1/events/azure-scheduled-events) and TIDE_INGEST_KEY or TIDE_INGEST_KEY_FILE',
    );
    process.exit(2);
  }
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => controller.abort());
  await createRelay({ webhookUrl, key, metadataUrl: process.env.TIDE_METADATA_URL }).run(
    controller.signal,
    Number(process.env.TIDE_RELAY_INTERVAL_MS ?? 1000),
  );
}
