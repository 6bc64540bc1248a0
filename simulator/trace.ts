import { parse as parseCsv } from 'csv-parse/sync';

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

/** Bounds of a trace (documented in docs/simulator.md): the simulation's cost follows rows plus span. */
export const TRACE_LIMITS = {
  /** Rows (requests). */
  rows: 8_000_000,
  /** From the first arrival to the last: the simulator steps through every minute of it. */
  spanDays: 14,
  /** Tokens in one request's prompt or output (the largest context windows are about 2 million). */
  tokens: 10_000_000,
} as const;

function tokenCell(cell: string | undefined, column: string, fallback: number, source: string, line: number): number {
  if (cell === undefined || cell.trim() === '') return fallback;
  const text = cell.trim();
  if (!/^\d{1,15}$/.test(text) || Number(text) > TRACE_LIMITS.tokens)
    throw new TraceFormatError(
      source,
      line,
      `${column} must be a whole number of tokens from 0 to ${TRACE_LIMITS.tokens}, was: "${text.slice(0, 40)}"`,
    );
  return Number(text);
}

/** Rows of the CSV with the line each starts on; csv-parse handles quotes, CRLF and the byte-order mark. */
function csvRows(text: string, source: string): { cells: string[]; line: number }[] {
  try {
    const records = parseCsv(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      max_record_size: 64 * 1024,
      to: TRACE_LIMITS.rows + 1,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return records.map(({ record, info }) => ({ cells: record, line: info.lines }));
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? 1;
    throw new TraceFormatError(source, line, `not a CSV row: ${(error as Error).message.slice(0, 200)}`);
  }
}

/**
 * Read a trace CSV: a header naming the columns (a timestamp column, `TIMESTAMP`, `timestamp` or `time`;
 * optional `ContextTokens` and `GeneratedTokens`, any case), then one row per request. A file without a
 * header must have the timestamp first and may have the two token counts after it. Blank lines are
 * skipped; rows out of order are sorted. Any bad cell is a {@link TraceFormatError} naming its line; so is
 * a trace past {@link TRACE_LIMITS}.
 */
export function parseTrace(text: string, source = 'trace'): Trace {
  const rows = csvRows(text, source);
  if (rows.length > TRACE_LIMITS.rows)
    throw new TraceFormatError(source, rows[TRACE_LIMITS.rows]!.line, `a trace has at most ${TRACE_LIMITS.rows} rows`);
  const first = (rows[0]?.cells ?? []).map((cell) => cell.toLowerCase());
  const hasHeader = first.length > 0 && parseTimestamp(first[0] ?? '') === undefined && /[a-z]/.test(first.join(''));
  let timeColumn = 0;
  let contextColumn = first.length > 1 ? 1 : -1;
  let generatedColumn = first.length > 2 ? 2 : -1;
  if (hasHeader) {
    timeColumn = first.findIndex((name) => ['timestamp', 'time', 'arrival', 'arrivaltime'].includes(name));
    if (timeColumn < 0)
      throw new TraceFormatError(
        source,
        rows[0]!.line,
        `no timestamp column in the header (expected TIMESTAMP), was: "${rows[0]!.cells.join(',').slice(0, 100)}"`,
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
  let earliest = Infinity;
  let latest = -Infinity;
  for (let index = hasHeader ? 1 : 0; index < rows.length; index++) {
    const { cells, line } = rows[index]!;
    const timeCell = cells[timeColumn];
    const arrivalAt = timeCell === undefined ? undefined : parseTimestamp(timeCell);
    if (arrivalAt === undefined || !Number.isFinite(arrivalAt)) {
      throw new TraceFormatError(
        source,
        line,
        `expected a timestamp such as "2023-11-16 18:15:46.68" in column ${timeColumn + 1}, was: "${(timeCell ?? '').slice(0, 60)}"`,
      );
    }
    earliest = Math.min(earliest, arrivalAt);
    latest = Math.max(latest, arrivalAt);
    if (latest - earliest > TRACE_LIMITS.spanDays * 86_400_000)
      throw new TraceFormatError(
        source,
        line,
        `a trace spans at most ${TRACE_LIMITS.spanDays} days from its first request to its last (split it), was: ${((latest - earliest) / 86_400_000).toFixed(1)} days`,
      );
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
  if (requests.length === 0) {
    let lastLine = 1;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lastLine += 1;
    throw new TraceFormatError(source, lastLine, 'the trace has no requests');
  }
  if (!sorted) requests.sort((a, b) => a.arrivalAt - b.arrivalAt);
  const name = source.replace(/^.*[\\/]/, '').replace(/\.csv$/i, '');
  return {
    name,
    startAt: Math.floor(requests[0]!.arrivalAt / 1000) * 1000,
    endAt: requests[requests.length - 1]!.arrivalAt,
    requests,
  };
}
