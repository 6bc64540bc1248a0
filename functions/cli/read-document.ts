import { UsageError } from './command.ts';
import { MAX_DOCUMENT_BYTES, readBounded, terminalSafe, textOf } from './read-input.ts';

/**
 * Read a JSON document from a file ("-" for standard input), bounded while streaming, a byte-order mark
 * allowed; a missing file or bad JSON is a usage error. `_readFile` is kept for callers' signatures.
 */
export async function readJsonDocument(file: string, _readFile?: unknown): Promise<unknown> {
  const text = textOf(await readBounded(file, MAX_DOCUMENT_BYTES));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${terminalSafe(file, 200)} is not valid JSON: ${(error as Error).message}`);
  }
}
