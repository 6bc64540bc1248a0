import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../../adapters/state/memory-store.ts';
import type { CliIo } from '../../../functions/cli/command.ts';
import { calendarsCommand } from '../../../functions/cli/commands/calendars.ts';
import { main } from '../../../functions/cli/main.ts';
import { recordExchangeOverride } from '../../../functions/shell/exchange-calendars.ts';
import { ValidationError } from '../../../core/errors.ts';

function recordingIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTty: false };
  return { io, out, err };
}

const NOW = Date.parse('2027-01-05T15:00:00Z');

function setup() {
  const store = new MemoryStateStore();
  // The command closes the store it opened; this one is shared across the test's commands.
  store.close = async () => {};
  const command = calendarsCommand({ openStore: () => store, now: () => NOW });
  return { store, command };
}

describe('tide calendars', () => {
  it('records a closure, lists it, shows the day closed with the reason, and removes it', async () => {
    const { store, command } = setup();
    const a = recordingIo();
    expect(await command.run(['close', 'XNYS', '2027-01-08', '--reason', 'National Day of Mourning'], a.io)).toBe(0);
    expect(a.out.join('\n')).toContain('2027-01-08 closed: closure recorded by an operator: National Day of Mourning');
    expect(await store.listExchangeOverrides()).toEqual([
      { exchange: 'XNYS', date: '2027-01-08', status: 'closed', reason: 'National Day of Mourning' },
    ]);
    const b = recordingIo();
    expect(await command.run(['show', 'XNYS', '2027-01-07', '--days', '2'], b.io)).toBe(0);
    expect(b.out.join('\n')).toMatch(/2027-01-07 open .*\n.*2027-01-08 closed: closure recorded by an operator/);
    const c = recordingIo();
    expect(await command.run(['remove', 'XNYS', '2027-01-08'], c.io)).toBe(0);
    expect(await store.listExchangeOverrides()).toEqual([]);
  });

  it('records changed hours', async () => {
    const { store, command } = setup();
    const { io, out } = recordingIo();
    expect(await command.run(['hours', 'XLON', '2027-01-06', '--close', '12:30', '--reason', 'systems'], io)).toBe(0);
    expect(out.join('\n')).toContain('changed hours close 12:30 (systems)');
    expect((await store.listExchangeOverrides())[0]).toMatchObject({ status: 'hours', close: '12:30' });
  });

  it.each([
    { label: 'an unknown exchange code', args: ['close', 'XNYZ', '2027-01-08'], field: 'exchange', value: '"XNYZ"' },
    { label: 'a closure date in the past', args: ['close', 'XNYS', '2027-01-04'], field: 'date', value: '2027-01-04' },
    { label: 'a malformed date', args: ['close', 'XNYS', '2027-1-8'], field: 'date', value: '2027-1-8' },
    { label: 'a bad time', args: ['hours', 'XNYS', '2027-01-08', '--close', '25:00'], field: 'close', value: '25:00' },
  ])('refuses $label, naming the field and the value (exit 2)', async ({ args, field, value }) => {
    const { store, command } = setup();
    const { io, err } = recordingIo();
    expect(await command.run([...args, '--reason', 'x'], io)).toBe(2);
    expect(err.join('\n')).toContain(field);
    expect(err.join('\n')).toContain(value);
    expect(await store.listExchangeOverrides()).toEqual([]);
  });

  it('the function the HTTP API calls throws a ValidationError naming the field for a past date', async () => {
    const error = await recordExchangeOverride(
      new MemoryStateStore(),
      { exchange: 'XTKS', date: '2027-01-05', status: 'closed', reason: 'x' },
      Date.parse('2027-01-05T16:00:00Z'), // already 6 January in Tokyo
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems[0]).toMatchObject({ path: 'date', received: '2027-01-05' });
  });
});

describe('tide validate on exchange calendars input', () => {
  it.each([
    {
      label: 'a closure dated in the past',
      document: { exchange: 'XNYS', date: '2025-01-09', status: 'closed', reason: 'mourning' },
      line: 'date: is in the past at XNYS',
      value: 'was: 2025-01-09',
    },
    {
      label: 'a closure for an unknown exchange',
      document: { exchange: 'XNYZ', date: '2099-01-09', status: 'closed', reason: 'x' },
      line: 'exchange: unknown exchange',
      value: 'was: "XNYZ"',
    },
    {
      label: 'a session offset past the session length',
      document: { schedules: [{ name: 'p', session: { exchange: 'XTKS', openOffsetMinutes: 400 }, minCapacity: 2 }] },
      line: 'schedules[0].session.openOffsetMinutes: must be less than the XTKS regular session length (390 minutes)',
      value: 'was: 400',
    },
  ])('names the field and the value: $label', async ({ document, line, value }) => {
    const { io, err } = recordingIo();
    const path = join(mkdtempSync(join(tmpdir(), 'tide-validate-')), 'doc.json');
    writeFileSync(path, JSON.stringify(document));
    expect(await main(['validate', path], io)).toBe(2);
    expect(err.join('\n')).toContain(line);
    expect(err.join('\n')).toContain(value);
    expect(err.join('\n')).not.toContain('    at ');
  });
});
