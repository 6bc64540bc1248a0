import { createReadStream } from 'node:fs';
import { UsageError } from './command.ts';

/** Documents (policies, decision inputs, payloads) read from a file or standard input: 16 MiB at most. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
/** Trace files: 256 MiB at most (about 6 million rows of the Azure trace's format). */
export const MAX_TRACE_BYTES = 256 * 1024 * 1024;

/** Input past the limit (a usage error; `tide parse` reports it as the parser's `too-large`). */
export class InputTooLargeError extends UsageError {
  constructor(
    readonly file: string,
    readonly maxBytes: number,
  ) {
    super(`${file === '-' ? 'standard input' : terminalSafe(file, 200)} is larger than the ${maxBytes}-byte limit`);
  }
}

/**
 * Read a file ("-": standard input) with the limit checked while streaming: the read stops at the first
 * chunk past `maxBytes`, so 1 GB of input costs one chunk over the limit, not 1 GB of memory.
 */
export async function readBounded(file: string, maxBytes: number): Promise<Buffer> {
  const stream = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 64 * 1024 });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        if (file !== '-') stream.destroy();
        throw new InputTooLargeError(file, maxBytes);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${terminalSafe(file, 200)}: ${(error as Error).message}`);
  }
  return Buffer.concat(chunks);
}

/** UTF-8 text without a leading byte-order mark (editors on Windows write one; JSON.parse refuses it). */
export function textOf(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * One line fit for a terminal: control characters (C0, DEL, C1: NUL, escape sequences, newlines) shown
 * escaped, and at most `max` characters, so echoed input can neither draw on the screen nor flood it.
 */
export function terminalSafe(text: string, max = 1000): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0))
      out += ESCAPES[char] ?? `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
    if (out.length > max) return `${out.slice(0, max)}… (${text.length} characters)`;
  }
  return out;
}
