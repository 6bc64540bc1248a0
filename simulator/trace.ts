/** One request of a trace: when it arrived and how many tokens it read and wrote. */
export interface TraceRequest {
  /** Arrival, epoch ms. */
  arrivalAt: number;
  /** Prompt tokens. */
  contextTokens: number;
  /** Output tokens. */
  generatedTokens: number;
}

/** A request trace, arrivals in order. */
export interface Trace {
  name: string;
  /** Epoch ms of the first arrival, floored to the second. */
  startAt: number;
  /** Epoch ms of the last arrival. */
  endAt: number;
  requests: TraceRequest[];
}

/**
 * Token counts used when a trace has only timestamps: the means of the Azure conversation trace
 * (19,366 requests: 1,155 prompt tokens and 211 output tokens on average).
 */
export const DEFAULT_TOKENS = { contextTokens: 1155, generatedTokens: 211 } as const;

/** A trace file that cannot be read; names the line (1-based, the header is line 1) and what was there. */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${source}, line ${line}: ${problem}`);
  }
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A timestamp cell as epoch ms: `YYYY-MM-DD HH:MM:SS[.fraction]` (read as UTC when no offset is given, as
 * the Azure traces are), the same with `T` and an offset, or a number of seconds (epoch or from 0).
 */
export function parseTimestamp(cell: string): number | undefined {
  const text = cell.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone] = match;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60)
    return undefined;
  let at =
    Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s)) + Number(`0.${fraction || '0'}`) * 1000;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    at -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return Math.round(at);
}

function tokenCell(cell: string | undefined, column: string, fallback: number, source: string, line: number): number {
  if (cell === undefined || cell.trim() === '') return fallback;
  const text = cell.trim();
  if (!/^\d+$/.test(text))
    throw new TraceFormatError(source, line, `${column} must be a whole number of tokens ≥ 0, was: "${text}"`);
  return Number(text);
}

/**
 * Read a trace CSV: a header naming the columns (a timestamp column, `TIMESTAMP`, `timestamp` or `time`;
 * optional `ContextTokens` and `GeneratedTokens`, any case), then one row per request. A file without a
 * header must have the timestamp first and may have the two token counts after it. Blank lines are
 * skipped; rows out of order are sorted. Any bad cell is a {@link TraceFormatError} naming its line.
 */
export function parseTrace(text: string, source = 'trace'): Trace {
  // A byte-order mark (spreadsheets write one) and quotes around cells are not part of the data.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const cellsOf = (row: string) => row.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
  const first = cellsOf(lines[0] ?? '').map((cell) => cell.toLowerCase());
  const hasHeader = first.length > 0 && parseTimestamp(first[0] ?? '') === undefined && /[a-z]/.test(first.join(''));
  let timeColumn = 0;
  let contextColumn = first.length > 1 ? 1 : -1;
  let generatedColumn = first.length > 2 ? 2 : -1;
  if (hasHeader) {
    timeColumn = first.findIndex((name) => ['timestamp', 'time', 'arrival', 'arrivaltime'].includes(name));
    if (timeColumn < 0)
      throw new TraceFormatError(
        source,
        1,
        `no timestamp column in the header (expected TIMESTAMP), was: "${lines[0]}"`,
      );
    contextColumn = first.findIndex((name) =>
      ['contexttokens', 'context_tokens', 'prompttokens', 'prompt_tokens'].includes(name),
    );
    generatedColumn = first.findIndex((name) =>
      ['generatedtokens', 'generated_tokens', 'outputtokens', 'output_tokens'].includes(name),
    );
  }
  const requests: TraceRequest[] = [];
  let sorted = true;
  for (let index = hasHeader ? 1 : 0; index < lines.length; index++) {
    const row = lines[index]!;
    if (row.trim() === '') continue;
    const line = index + 1;
    const cells = cellsOf(row);
    const timeCell = cells[timeColumn];
    const arrivalAt = timeCell === undefined ? undefined : parseTimestamp(timeCell);
    if (arrivalAt === undefined) {
      throw new TraceFormatError(
        source,
        line,
        `expected a timestamp such as "2023-11-16 18:15:46.68" in column ${timeColumn + 1}, was: "${(timeCell ?? '').trim()}"`,
      );
    }
    const request: TraceRequest = {
      arrivalAt,
      contextTokens:
        contextColumn < 0
          ? DEFAULT_TOKENS.contextTokens
          : tokenCell(cells[contextColumn], 'ContextTokens', DEFAULT_TOKENS.contextTokens, source, line),
      generatedTokens:
        generatedColumn < 0
          ? DEFAULT_TOKENS.generatedTokens
          : tokenCell(cells[generatedColumn], 'GeneratedTokens', DEFAULT_TOKENS.generatedTokens, source, line),
    };
    if (requests.length > 0 && arrivalAt < requests[requests.length - 1]!.arrivalAt) sorted = false;
    requests.push(request);
  }
  if (requests.length === 0) throw new TraceFormatError(source, lines.length, 'the trace has no requests');
  if (!sorted) requests.sort((a, b) => a.arrivalAt - b.arrivalAt);
  const name = source.replace(/^.*[\\/]/, '').replace(/\.csv$/i, '');
  return {
    name,
    startAt: Math.floor(requests[0]!.arrivalAt / 1000) * 1000,
    endAt: requests[requests.length - 1]!.arrivalAt,
    requests,
  };
}
