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

const SCRIPT_EXTENSIONS = ['.js', '.mjs', '.cjs'];
/** Longer lines are not stack frames (a message quoting a payload): left alone, so the cost stays bounded. */
const MAX_FRAME_LENGTH = 4096;

/** One line `    at name (file:line:column)` or `    at file:line:column`, mapped when its file has a map. */
function mapFrame(line: string): string {
  if (line.length > MAX_FRAME_LENGTH || !line.trimStart().startsWith('at ')) return line;
  const end = line.endsWith(')') ? line.length - 1 : line.length;
  const columnAt = line.lastIndexOf(':', end - 1);
  const lineAt = line.lastIndexOf(':', columnAt - 1);
  if (lineAt < 0) return line;
  const lineNumber = Number(line.slice(lineAt + 1, columnAt));
  const columnNumber = Number(line.slice(columnAt + 1, end));
  const start = Math.max(line.lastIndexOf('(', lineAt), line.lastIndexOf(' ', lineAt)) + 1;
  const file = line.slice(start, lineAt);
  if (!Number.isInteger(lineNumber) || !Number.isInteger(columnNumber)) return line;
  if (!SCRIPT_EXTENSIONS.some((extension) => file.endsWith(extension))) return line;
  const map = mapFor(file);
  if (!map) return line;
  const origin = map.findOrigin(lineNumber, columnNumber);
  if (!('fileName' in origin)) return line;
  // Sources are relative to the map (`../../core/decide.ts`): keep the repository path.
  let source = origin.fileName;
  while (source.startsWith('../')) source = source.slice(3);
  return `${line.slice(0, start)}${source}:${origin.lineNumber}:${origin.columnNumber}${line.slice(end)}`;
}

/** The stack with every frame in a bundle file that has a source map rewritten to its source position. */
export function readableStack(stack: string): string {
  return stack.split('\n').map(mapFrame).join('\n');
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
