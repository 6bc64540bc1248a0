/**
 * Stack traces of the minified function bundle, mapped back to the TypeScript sources when they are needed.
 *
 * The bundle ships with its source maps beside it (`handler.mjs.map`), but Node does not read them: with
 * `--enable-source-maps` every cold start would parse them (about 20 ms). Instead a stack is mapped here, on
 * the rare path where an error is about to be reported: the map of each bundle file the stack passes through
 * is read once, and each frame `file.mjs:1:52311` becomes `functions/shell/shell.ts:181:15`. A file without a
 * map beside it (running from source, tests) is left as it is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const maps = new Map<string, SourceMap | null>();

function mapFor(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map !== undefined) return map;
  map = null;
  try {
    const path = file.startsWith('file://') ? fileURLToPath(file) : file;
    if (existsSync(`${path}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
  } catch {
    // An unreadable map leaves the frame as it was: a stack is never lost for a map.
  }
  maps.set(file, map);
  return map;
}

/** `at name (file:line:column)` or `at file:line:column`, for .js/.mjs/.cjs files. */
const FRAME = /((?:file:\/\/)?\/[^\s():]+\.[cm]?js):(\d+):(\d+)/g;

/** The stack with every frame in a bundle file that has a source map rewritten to its source position. */
export function readableStack(stack: string): string {
  return stack.replace(FRAME, (whole, file: string, line: string, column: string) => {
    const map = mapFor(file);
    if (!map) return whole;
    const origin = map.findOrigin(Number(line), Number(column));
    if (!('fileName' in origin)) return whole;
    // Sources are relative to the map (`../../core/decide.ts`): keep the repository path.
    const source = origin.fileName.replace(/^(?:\.\.\/)+/, '').replace(/^file:\/\/\/?/, '');
    return `${source}:${origin.lineNumber}:${origin.columnNumber}`;
  });
}

/** The same error with its stack mapped (in place: the error keeps its identity and type). */
export function withReadableStack<T>(error: T): T {
  if (error instanceof Error && typeof error.stack === 'string') {
    try {
      error.stack = readableStack(error.stack);
    } catch {
      // Mapping is best effort; the original stack stands.
    }
  }
  return error;
}
