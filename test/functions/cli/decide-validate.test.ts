import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../functions/cli/main.ts';
import type { CliIo } from '../../../functions/cli/command.ts';

function recordingIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTty: false };
  return { io, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'tide-cli-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const recorded = {
  now: '2026-03-09T14:00:00Z',
  signal: {
    kind: 'metric',
    metric: 'gpu_utilization',
    value: 90,
    observedAt: '2026-03-09T14:00:00Z',
    source: 'aws-cloudwatch',
  },
  target: {
    id: 'llm',
    kind: 'inference-endpoint',
    provider: 'aws',
    pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge' }],
  },
  policy: { maxCapacity: 20, targetTracking: [{ metric: 'gpu_utilization', targetValue: 60 }] },
  observed: {
    observedAt: '2026-03-09T14:00:00Z',
    pools: [{ poolId: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand', desired: 4, ready: 4 }],
  },
};

describe('tide decide', () => {
  it('prints actions, reasons and memory for a recorded input', async () => {
    const { io, out } = recordingIo();
    expect(await main(['decide', '--input', file('in.json', recorded)], io)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/scale-out 4 -> 6/);
    expect(text).toMatch(/set-capacity .*"from":4,"to":6/);
    expect(text).toMatch(/ceil\(4 ready × 1\.5\) = 6/);
    expect(text).toMatch(/^memory: \{/m);
  });
  it('--json prints the decision as one JSON object', async () => {
    const { io, out } = recordingIo();
    expect(await main(['decide', '--input', file('in2.json', recorded), '--json'], io)).toBe(0);
    const decision = JSON.parse(out.join('\n'));
    expect(decision.desiredCapacity).toBe(6);
    expect(decision.memory.recommendations).toEqual([[Date.parse('2026-03-09T14:00:00Z'), 6]]);
  });
  it('a bad input exits 2 naming the field and the value', async () => {
    const { io, err } = recordingIo();
    const bad = { ...recorded, signal: { ...recorded.signal, value: 'high' } };
    expect(await main(['decide', '--input', file('bad.json', bad)], io)).toBe(2);
    expect(err.join('\n')).toMatch(/signal\.value: .*\(got "high"\)/);
  });
  it('a missing file or bad JSON is a usage error (exit 2)', async () => {
    const { io, err } = recordingIo();
    expect(await main(['decide', '--input', join(dir, 'nope.json')], io)).toBe(2);
    expect(await main(['decide', '--input', file('broken.json', '{"now":')], io)).toBe(2);
    expect(err.join('\n')).toMatch(/cannot read .*nope\.json/);
    expect(err.join('\n')).toMatch(/not valid JSON/);
  });
});

describe('tide validate', () => {
  it('accepts the shipped NYSE example', async () => {
    const { io, out } = recordingIo();
    expect(await main(['validate', 'examples/nyse-trading-hours.policy.json'], io)).toBe(0);
    expect(out.join('\n')).toMatch(/valid policy/);
  });
  it('prints every error and exits 2', async () => {
    const { io, err } = recordingIo();
    const path = file('policy.json', {
      minCapacity: 5,
      maxCapacity: 2,
      targetTracking: [{ metric: 'gpu', targetValue: -1 }],
    });
    expect(await main(['validate', path], io)).toBe(2);
    const text = err.join('\n');
    expect(text).toMatch(/2 error\(s\)/);
    expect(text).toMatch(/maxCapacity: must be at least minCapacity \(5\), was: 2/);
    expect(text).toMatch(/targetTracking\[0\]\.targetValue: .*\(got -1\)/);
  });
  it('a misspelt field is an error naming it, not a valid policy', async () => {
    const { io, err } = recordingIo();
    const path = file('misspelt.json', { stepscaling: [{ alarmName: 'hot', steps: [{ adjustment: 2 }] }] });
    expect(await main(['validate', path], io)).toBe(2);
    expect(err.join('\n')).toMatch(
      /1 error\(s\)\n {2}stepscaling: unknown field of the policy \(got \[\{"alarmName":"hot"/,
    );
  });
  it('unknown commands exit 2 with help', async () => {
    const { io, err, out } = recordingIo();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/unknown command "frobnicate"/);
    expect(out.join('\n')).toMatch(/decide/);
  });
});

describe('the tide bin', () => {
  it('runs as a real process (node bin/tide.js) and sets the exit code', async () => {
    const { execFileSync, spawnSync } = await import('node:child_process');
    const ok = execFileSync(process.execPath, ['bin/tide.js', 'validate', 'examples/nyse-trading-hours.policy.json'], {
      encoding: 'utf8',
    });
    expect(ok).toMatch(/valid policy/);
    const bad = spawnSync(process.execPath, ['bin/tide.js', 'validate', file('bad-policy.json', { minCapacity: -1 })], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/minCapacity/);
  });
});
