/**
 * The scheduled-events relay of examples/azure-scheduled-events-relay against a local instance metadata
 * endpoint (Microsoft's Preempt document, `Metadata: true` required as Azure's is) and a local Tide webhook
 * that fails on demand: a Preempt is posted once with the ingest key and the VM's resource id, a failed post
 * is retried within the event's notice, metadata failures do not stop the loop, other event types are not
 * posted.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without type declarations, as it ships.
import { createRelay } from '../../examples/azure-scheduled-events-relay/relay.mjs';

const preempt = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/events/azure/scheduled-events-preempt.json'), 'utf8'),
);
const VM_ID =
  '/subscriptions/s1/resourceGroups/ml-rg/providers/Microsoft.Compute/virtualMachineScaleSets/tide-nc24-spot/virtualMachines/3';

let metadataDocument: unknown = { DocumentIncarnation: 0, Events: [] };
let metadataFailures = 0;
let webhookFailures = 0;
const metadataRequests: { url: string; metadataHeader: string | undefined }[] = [];
const posts: { authorization: string | undefined; body: Record<string, unknown> }[] = [];

function listen(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handle);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
    }),
  );
}

let metadata: { server: Server; url: string };
let webhook: { server: Server; url: string };

beforeAll(async () => {
  metadata = await listen((req, res) => {
    metadataRequests.push({ url: req.url ?? '', metadataHeader: req.headers.metadata as string | undefined });
    if (req.headers.metadata !== 'true')
      return void res.writeHead(400).end('{"error":"Bad request: missing Metadata header"}');
    if (metadataFailures > 0) {
      metadataFailures--;
      return void res.writeHead(500).end();
    }
    if (req.url?.startsWith('/metadata/instance/compute'))
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ resourceId: VM_ID, name: 'tide-nc24-spot_3' }));
    if (req.url?.startsWith('/metadata/scheduledevents'))
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadataDocument));
    res.writeHead(404).end();
  });
  webhook = await listen((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (webhookFailures > 0) {
        webhookFailures--;
        return void res.writeHead(503).end();
      }
      posts.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
});
afterAll(async () => {
  await Promise.all([metadata, webhook].map(({ server }) => new Promise((resolve) => server.close(resolve))));
});
beforeEach(() => {
  posts.length = 0;
  metadataRequests.length = 0;
  metadataFailures = 0;
  webhookFailures = 0;
});

const relay = () =>
  createRelay({
    webhookUrl: `${webhook.url}/v1/events/azure-scheduled-events`,
    key: 'tide_ingest_key',
    metadataUrl: metadata.url,
    baseDelayMs: 5,
    log: () => {},
  });

const soon = () => new Date(Date.now() + 30_000).toUTCString();

it('posts a Preempt once, with the ingest key and the VM resource id, and asks the metadata endpoint as Azure requires', async () => {
  metadataDocument = { ...preempt, Events: [{ ...preempt.Events[0], NotBefore: soon() }] };
  const r = relay();
  expect(await r.pollOnce()).toEqual(['A123BC45-1234-5678-AB90-ABCDEF123456']);
  expect(await r.pollOnce()).toEqual([]);
  expect(posts).toHaveLength(1);
  expect(posts[0]!.authorization).toBe('Bearer tide_ingest_key');
  expect(posts[0]!.body).toMatchObject({
    DocumentIncarnation: 1,
    resourceId: VM_ID,
    Events: [{ EventType: 'Preempt' }],
  });
  expect(metadataRequests.every((request) => request.metadataHeader === 'true')).toBe(true);
  expect(metadataRequests[0]!.url).toBe('/metadata/scheduledevents?api-version=2020-07-01');
});

it('retries a post Tide did not take (503) with backoff, within the notice', async () => {
  metadataDocument = { ...preempt, Events: [{ ...preempt.Events[0], EventId: 'retry-1', NotBefore: soon() }] };
  webhookFailures = 2;
  expect(await relay().pollOnce()).toEqual(['retry-1']);
  expect(posts).toHaveLength(1);
});

it('gives up after its bounded attempts, and posts the event on a later poll', async () => {
  metadataDocument = { ...preempt, Events: [{ ...preempt.Events[0], EventId: 'bounded-1', NotBefore: soon() }] };
  webhookFailures = 6;
  const r = relay();
  expect(await r.pollOnce()).toEqual([]);
  expect(posts).toHaveLength(0);
  expect(await r.pollOnce()).toEqual(['bounded-1']);
});

it('does not post Freeze, Reboot or Redeploy events', async () => {
  metadataDocument = {
    DocumentIncarnation: 2,
    Events: [{ ...preempt.Events[0], EventId: 'freeze-1', EventType: 'Freeze', NotBefore: soon() }],
  };
  expect(await relay().pollOnce()).toEqual([]);
  expect(posts).toHaveLength(0);
});

it('keeps polling when the metadata endpoint fails, and posts once it answers', async () => {
  metadataDocument = { ...preempt, Events: [{ ...preempt.Events[0], EventId: 'loop-1', NotBefore: soon() }] };
  metadataFailures = 2;
  const r = relay();
  const controller = new AbortController();
  const running = r.run(controller.signal, 10);
  const deadline = Date.now() + 10_000;
  while (posts.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  controller.abort();
  await running;
  expect(posts.map((post) => (post.body.Events as { EventId: string }[])[0]!.EventId)).toEqual(['loop-1']);
});
