import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKENS, parseTimestamp, parseTrace, TraceFormatError } from '../../simulator/trace.ts';

describe('parseTimestamp', () => {
  it.each([
    {
      label: 'Azure trace, 7 fraction digits, read as UTC',
      cell: '2023-11-16 18:15:46.6805900',
      expected: Date.parse('2023-11-16T18:15:46.680Z') + 0.59,
    },
    { label: 'ISO with Z', cell: '2023-11-16T18:15:46Z', expected: Date.parse('2023-11-16T18:15:46Z') },
    { label: 'ISO with offset', cell: '2023-11-16T13:15:46-05:00', expected: Date.parse('2023-11-16T18:15:46Z') },
    { label: 'seconds', cell: '12.5', expected: 12_500 },
    { label: 'not a time', cell: 'soon', expected: undefined },
    { label: 'month 13', cell: '2023-13-16 18:15:46', expected: undefined },
  ])('$label', ({ cell, expected }) => {
    const parsed = parseTimestamp(cell);
    if (expected === undefined) expect(parsed).toBeUndefined();
    else expect(parsed).toBe(Math.round(expected));
  });
});

describe('parseTrace', () => {
  it('reads the Azure shape', () => {
    const trace = parseTrace(
      'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:50.99,396,109\n',
      'conv.csv',
    );
    expect(trace.name).toBe('conv');
    expect(trace.requests).toEqual([
      { arrivalAt: Date.parse('2023-11-16T18:15:46.680Z'), contextTokens: 374, generatedTokens: 44 },
      { arrivalAt: Date.parse('2023-11-16T18:15:50.990Z'), contextTokens: 396, generatedTokens: 109 },
    ]);
    expect(trace.startAt).toBe(Date.parse('2023-11-16T18:15:46Z'));
  });

  it.each([
    { label: 'timestamps only, with a header', text: 'timestamp\n0\n1.5\n' },
    { label: 'no header', text: '0\n1.5\n' },
    { label: 'empty token cells', text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n0,,\n1.5,,\n' },
    { label: 'columns in another order, CRLF', text: 'GeneratedTokens,TIMESTAMP\r\n,0\r\n,1.5\r\n' },
    {
      label: 'a spreadsheet export: byte-order mark, quoted cells',
      text: '\uFEFF"TIMESTAMP","ContextTokens","GeneratedTokens"\n"0","",""\n"1.5","",""\n',
    },
  ])('$label: default token counts', ({ text }) => {
    const trace = parseTrace(text);
    expect(trace.requests).toHaveLength(2);
    expect(trace.requests[1]).toMatchObject({ arrivalAt: 1500, ...DEFAULT_TOKENS });
  });

  it('sorts rows out of order and skips blank lines', () => {
    const trace = parseTrace('timestamp,ContextTokens,GeneratedTokens\n5,1,1\n\n2,2,2\n');
    expect(trace.requests.map((request) => request.contextTokens)).toEqual([2, 1]);
  });

  it.each([
    {
      label: 'bad timestamp',
      text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,1\nyesterday,1,1\n',
      line: 3,
      match: /line 3: expected a timestamp.*was: "yesterday"/,
    },
    {
      label: 'negative tokens',
      text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n0,1,1\n1,1,1\n2,-4,1\n',
      line: 4,
      match: /line 4: ContextTokens must be a whole number.*was: "-4"/,
    },
    {
      label: 'fractional tokens',
      text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n0,1,2.5\n',
      line: 2,
      match: /line 2: GeneratedTokens/,
    },
    { label: 'no timestamp column', text: 'when,ContextTokens\n0,1\n', line: 1, match: /line 1: no timestamp column/ },
    { label: 'header only', text: 'TIMESTAMP,ContextTokens,GeneratedTokens\n', line: 2, match: /no requests/ },
  ])('$label: error names line $line', ({ text, line, match }) => {
    let caught: unknown;
    try {
      parseTrace(text, 'bad.csv');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TraceFormatError);
    expect((caught as TraceFormatError).line).toBe(line);
    expect((caught as Error).message).toMatch(/^bad\.csv, /);
    expect((caught as Error).message).toMatch(match);
  });

  it('round-trips any generated trace, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1e6 }), fc.nat(20000), fc.nat(2000)), {
          minLength: 1,
          maxLength: 50,
        }),
        (rows) => {
          const text = `TIMESTAMP,ContextTokens,GeneratedTokens\n${rows.map(([t, c, g]) => `${t / 1000},${c},${g}`).join('\n')}`;
          const trace = parseTrace(text);
          expect(trace.requests).toHaveLength(rows.length);
          for (let i = 1; i < trace.requests.length; i++)
            expect(trace.requests[i]!.arrivalAt).toBeGreaterThanOrEqual(trace.requests[i - 1]!.arrivalAt);
        },
      ),
      { numRuns: 50 },
    );
  });
});
