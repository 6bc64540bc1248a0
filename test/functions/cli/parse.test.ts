/** `tide parse`: exit 0 with the signals as JSON, exit 2 with the typed error. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../functions/cli/command.ts';
import { main } from '../../../functions/cli/main.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/events/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);

function recordingIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTty: false };
  return { io, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'tide-parse-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function run(args: string[]) {
  const { io, out, err } = recordingIo();
  const code = await main(['parse', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tide parse', () => {
  it.each([
    ['aws-eventbridge', 'aws/eventbridge-spot-interruption.json', 'spot-interruption'],
    ['auto', 'gcp/pubsub-compute-preempted.json', 'spot-interruption'],
    ['alertmanager', 'alertmanager/webhook-firing-grouped.json', 'alarm'],
    ['gcp-scheduler', 'gcp/scheduler-pubsub-tick.json', 'schedule-tick'],
    ['cloudevents', 'cloudevents/ray-job-queued.json', 'job'],
  ])('--source %s %s → exit 0 and %s signals', async (source, name, kind) => {
    const result = await run(['--source', source, fixture(name)]);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.out);
    expect(output.signals.length).toBeGreaterThan(0);
    expect(output.signals.every((s: { kind: string }) => s.kind === kind)).toBe(true);
    expect(output.routes).toHaveLength(output.signals.length);
  });

  it('prints the typed error and exits 2 on bad input', async () => {
    const result = await run([
      '--source',
      'aws-eventbridge',
      file('bad.json', { 'detail-type': 'EC2 Spot Instance Interruption Warning' }),
    ]);
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(JSON.parse(result.err)).toEqual({
      error: 'EventParseError',
      code: 'invalid',
      source: 'aws-eventbridge',
      path: 'id',
      message: expect.stringContaining('the field is missing'),
    });
  });

  it('exits 2 on truncated JSON, an unknown source and an oversized payload', async () => {
    expect((await run([file('cut.json', '{"version":"4","alerts":[')])).code).toBe(2);
    const unknown = await run(['--source', 'aws-kinesis', fixture('tide/schedule-tick.json')]);
    expect([unknown.code, JSON.parse(unknown.err).code]).toEqual([2, 'unknown-source']);
    const big = await run(['--max-bytes', '64', fixture('tide/schedule-tick.json')]);
    expect([big.code, JSON.parse(big.err).code]).toEqual([2, 'too-large']);
  });

  it('shows which targets each signal feeds with --targets', async () => {
    const targets = file('targets.json', [
      { targetId: 'training', triggers: [{ source: 'aws-ec2', kinds: ['spot-interruption'] }] },
      { targetId: 'endpoint', triggers: [{ source: 'aws-cloudwatch' }] },
    ]);
    const result = await run(['--targets', targets, fixture('aws/eventbridge-spot-interruption.json')]);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.out);
    expect(output.deliveries.map((d: { targetId: string }) => d.targetId)).toEqual(['training']);
    expect(output.unmatched).toBe(0);
  });

  it('uses --received-at for payloads without a time of their own', async () => {
    const result = await run(['--received-at', '2026-03-09T13:30:00Z', fixture('azure/timer-info.json')]);
    expect(JSON.parse(result.out).signals[0].observedAt).toBe(Date.parse('2026-03-09T13:30:00Z'));
  });

  it('reports the failed records of an SQS batch and exits 2', async () => {
    const result = await run(['--source', 'aws-sqs', fixture('aws/sqs-batch-mixed.json')]);
    expect(result.code).toBe(2);
    const output = JSON.parse(result.out);
    expect(output.signals).toHaveLength(3);
    expect(output.batchItemFailures).toEqual([
      { itemIdentifier: '7c1d9e2a-1111-4bb0-9a3e-0f1e2d3c4b5a' },
      { itemIdentifier: '9a8b7c6d-2222-4c1d-8e2f-3a4b5c6d7e8f' },
    ]);
    expect(result.err).toContain('Records[3].body');
  });

  it('reads the Alertmanager value from the annotation named by --value-annotation', async () => {
    const result = await run(['--value-annotation', 'threshold', fixture('alertmanager/webhook-resolved.json')]);
    expect(JSON.parse(result.out).signals[0].value).toBe(80);
  });

  it('is a usage error without exactly one FILE', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['a.json', 'b.json'])).code).toBe(2);
  });

  it('works as a real process: exit codes and streams', async () => {
    const tide = fileURLToPath(new URL('../../../bin/tide.js', import.meta.url));
    const ok = await promisify(execFile)(process.execPath, [
      tide,
      'parse',
      '--source',
      'auto',
      fixture('gcp/monitoring-incident-open.json'),
    ]);
    expect(JSON.parse(ok.stdout).signals[0].alarmName).toBe('Monitor-Project-Cluster');
    const failed = await promisify(execFile)(process.execPath, [tide, 'parse', file('junk.json', 'junk')]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((failed as { code: number }).code).toBe(2);
    expect(JSON.parse((failed as { stderr: string }).stderr).code).toBe('malformed');
  }, 30_000);
});
