/**
 * What the CLI does with hostile or awkward input: errors on one escaped, bounded line; a byte-order mark;
 * input bounded while it streams; a closed pipe; checks done before a long run rather than after it.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../functions/cli/command.ts';
import { main } from '../../../functions/cli/main.ts';
import { InputTooLargeError, readBounded, terminalSafe } from '../../../functions/cli/read-input.ts';

function recordingIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTty: false };
  return { io, out, err };
}
const dir = mkdtempSync(join(tmpdir(), 'tide-cli-edge-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const root = fileURLToPath(new URL('../../../', import.meta.url));
const example = join(root, 'examples/decide-gpu-utilization.input.json');

describe('CLI errors', () => {
  it.each([
    { label: 'an unknown command with an escape sequence and NUL', argv: ['\u001b[2J\u0000boom'] },
    {
      label: 'a file name with a newline and an escape',
      argv: ['decide', '--input', `missing\n\u001b[31mred${'x'.repeat(5000)}`],
    },
    {
      label: 'a file that is not JSON, holding control characters',
      argv: ['validate', file('ctl.json', '{"a":\u0007\u001b]0;title\u0007}')],
    },
  ])('$label: one line on stderr, control characters escaped, input truncated', async ({ argv }) => {
    const { io, err } = recordingIo();
    expect(await main(argv, io)).toBe(2);
    const text = err.join('\n');
    expect(text.split('\n')).toHaveLength(1);
    const controls = [...text].filter((c) => (c.charCodeAt(0) < 0x20 && c !== '\n') || c.charCodeAt(0) === 0x7f);
    expect(controls).toEqual([]);
    expect(text.length).toBeLessThan(1500);
  });

  it('parse prints its typed error as one line of JSON', async () => {
    const { io, err } = recordingIo();
    expect(await main(['parse', '--source', 'aws-sqs', file('bad-sqs.json', '{"Records":[]}')], io)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]!.split('\n')).toHaveLength(1);
    expect(JSON.parse(err[0]!)).toMatchObject({ error: 'EventParseError', source: 'aws-sqs' });
  });

  it('escapes C0, DEL and C1 characters and bounds the length', () => {
    expect(terminalSafe('a\u0000b\u001bc\u007fd\u009be\nf')).toBe('a\\u0000b\\u001bc\\u007fd\\u009be\\nf');
    expect(terminalSafe('x'.repeat(50), 10)).toBe('xxxxxxxxxx… (50 characters)');
  });
});

describe('input', () => {
  it('takes a document with a UTF-8 byte-order mark (decide and parse)', async () => {
    const { readFileSync } = await import('node:fs');
    const bom = file('bom.input.json', `\uFEFF${readFileSync(example, 'utf8')}`);
    const { io, out } = recordingIo();
    expect(await main(['decide', '--input', bom, '--json'], io)).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ outcome: 'scale-out' });
    const tick = file(
      'bom-tick.json',
      '\uFEFF{"tide":"schedule-tick","schedule":"open","scheduledTime":"2026-03-09T13:25:00Z"}',
    );
    const parsed = recordingIo();
    expect(await main(['parse', '--source', 'tide-tick', tick], parsed.io)).toBe(0);
  });

  it('stops reading at the limit: a 1 GiB file costs a chunk over the limit, not 1 GiB', async () => {
    const huge = join(dir, 'huge.json');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, 1024 ** 3); // sparse: no disk used
    closeSync(fd);
    const before = process.memoryUsage().rss;
    const error = await readBounded(huge, 16 * 1024 * 1024).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputTooLargeError);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });
});

describe('simulate', () => {
  it('refuses --svg in a missing directory before running', async () => {
    const { io, err } = recordingIo();
    const code = await main(['simulate', '--svg', join(dir, 'no-such-dir', 'chart.svg')], io);
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/--svg .*cannot write to .*no-such-dir.*ENOENT/);
  });

  it.each([
    {
      label: 'a trace spanning 90 days',
      text: 'TIMESTAMP\n2026-01-01 00:00:00\n2026-04-01 00:00:00\n',
      match: /line 3: a trace spans at most 14 days/,
    },
    {
      label: 'a huge token count',
      text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n2026-01-01 00:00:00,1,99999999999999999999\n',
      match: /line 2: GeneratedTokens must be a whole number of tokens from 0 to 10000000/,
    },
    { label: 'an unterminated quote', text: 'TIMESTAMP\n"2026-01-01 00:00:00\n', match: /line \d+: not a CSV row/ },
  ])('refuses $label with its line, at once (exit 2)', async ({ text, match }) => {
    const { io, err } = recordingIo();
    expect(await main(['simulate', '--trace', file('t.csv', text)], io)).toBe(2);
    expect(err.join('\n')).toMatch(match);
    expect(err.join('\n').split('\n')).toHaveLength(1);
  });
});

describe('a closed pipe', () => {
  /** Run the bin with its standard output a pipe whose reading end `close` shuts; the exit and stderr. */
  const runInto = (args: string[], close: (stdout: NodeJS.ReadableStream & { destroy(): void }) => void) =>
    new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, 'bin/tide.js'), ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal, stderr }));
      close(child.stdout);
    });

  it('the reader is gone before the first write (`tide schema policy | true`): EPIPE, exit 0, nothing on stderr', async () => {
    // The reading end is closed before the child has even started, so its first write to stdout fails with
    // EPIPE for certain (Node ignores SIGPIPE: the error reaches the stream). Without the handler in
    // functions/cli/command.ts the child dies of an unhandled 'error' event: exit 1 and a stack on stderr.
    const run = await runInto(['schema', 'policy'], (stdout) => stdout.destroy());
    expect(run).toEqual({ code: 0, signal: null, stderr: '' });
  }, 60_000);

  it('`tide schema policy | head -c 100`: the reader goes away mid-output; exit 0 without an EPIPE error', async () => {
    const run = await runInto(['schema', 'policy'], (stdout) => stdout.once('data', () => stdout.destroy()));
    expect(run.stderr).not.toMatch(/EPIPE|Error/);
    expect(run.code).toBe(0);
  }, 60_000);
});
