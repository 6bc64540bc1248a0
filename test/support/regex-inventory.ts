/**
 * Every regular expression in the shipped tree, read from the source with the TypeScript parser (literals and
 * `new RegExp("literal")`), and adversarial inputs built from each one's own pieces. A regex built from a
 * non-literal string cannot be checked this way, so the inventory reports it and the test refuses it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** Folders whose code ships or runs on input (tests are left out: they run only on their own data). */
export const SOURCE_FOLDERS = ['core', 'adapters', 'functions', 'simulator', 'tools', 'infra', 'bin'];

export interface FoundRegex {
  /** `path:line` of the expression. */
  where: string;
  regex: RegExp;
}

export interface RegexInventory {
  regexes: FoundRegex[];
  /** `new RegExp(x)` whose pattern is not a literal: `path:line` and the argument text. */
  dynamic: string[];
}

function sourceFiles(root: string): string[] {
  const files: string[] = [];
  for (const folder of SOURCE_FOLDERS) {
    let entries: string[];
    try {
      entries = readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (/\.(ts|mts|js|mjs)$/.test(entry) && !entry.includes('node_modules')) files.push(join(root, folder, entry));
    }
  }
  return files.sort();
}

/** Every regex of the tree under `root`. */
export function collectRegexes(root: string): RegexInventory {
  const regexes: FoundRegex[] = [];
  const dynamic: string[] = [];
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const where = (node: ts.Node) =>
      `${relative(root, file)}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const literal = node.getText(source);
        const slash = literal.lastIndexOf('/');
        regexes.push({ where: where(node), regex: new RegExp(literal.slice(1, slash), literal.slice(slash + 1)) });
      } else if (
        (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'RegExp'
      ) {
        const [pattern, flags] = node.arguments ?? [];
        if (pattern && ts.isStringLiteralLike(pattern) && (!flags || ts.isStringLiteralLike(flags))) {
          regexes.push({ where: where(node), regex: new RegExp(pattern.text, flags?.text ?? '') });
        } else if (pattern && !ts.isRegularExpressionLiteral(pattern)) {
          dynamic.push(`${where(node)}: RegExp(${pattern.getText(source)})`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { regexes, dynamic };
}

// Printable ASCII plus a few characters providers' payloads carry (tab, newline, NUL, a non-ASCII letter).
const ALPHABET = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), '\t', '\n', '\u0000', 'é'];

function classSample(classText: string, flags: string): string {
  const set = new RegExp(classText, flags.replace(/[gy]/g, ''));
  return ALPHABET.find((char) => set.test(char)) ?? '';
}

const ESCAPE_CLASSES: Record<string, string> = { d: '1', D: 'a', s: ' ', S: 'a', w: 'a', W: ' ' };

/**
 * The pattern as a list of pieces, each the shortest text one step of it matches: a literal run, a sample
 * character of a class or escape. Groups, alternation, anchors and quantifiers only separate pieces. The
 * prefixes of this list are the texts a backtracking engine gets furthest with before failing.
 */
export function regexPieces(regex: RegExp): string[] {
  const src = regex.source;
  const pieces: string[] = [];
  let literal = '';
  const flush = () => {
    if (literal) pieces.push(literal);
    literal = '';
  };
  for (let i = 0; i < src.length; i += 1) {
    const char = src[i]!;
    if (char === '\\') {
      const next = src[i + 1] ?? '';
      i += 1;
      if (next in ESCAPE_CLASSES) {
        flush();
        pieces.push(ESCAPE_CLASSES[next]!);
      } else if (next === 'b' || next === 'B') {
        flush();
      } else if (next === 'u' && src[i + 1] === '{') {
        const end = src.indexOf('}', i);
        literal += String.fromCodePoint(Number.parseInt(src.slice(i + 2, end), 16));
        i = end;
      } else if (next === 'u' || next === 'x') {
        const width = next === 'u' ? 4 : 2;
        literal += String.fromCharCode(Number.parseInt(src.slice(i + 1, i + 1 + width), 16));
        i += width;
      } else if (next === 'n') literal += '\n';
      else if (next === 't') literal += '\t';
      else literal += next;
    } else if (char === '[') {
      let end = i + 1;
      if (src[end] === '^') end += 1;
      if (src[end] === ']') end += 1;
      while (end < src.length && src[end] !== ']') end += src[end] === '\\' ? 2 : 1;
      flush();
      pieces.push(classSample(src.slice(i, end + 1), regex.flags));
      i = end;
    } else if ('*+?'.includes(char) || (char === '{' && /^\{\d+(,\d*)?\}/.test(src.slice(i)))) {
      // A quantifier binds to the last character of a literal run: that character is a piece of its own.
      if (literal.length > 1) pieces.push(literal.slice(0, -1));
      literal = literal.slice(-1);
      flush();
      if (char === '{') i = src.indexOf('}', i);
    } else if (char === '(') {
      flush();
      if (src[i + 1] === '?') {
        // (?: (?= (?! (?<= (?<! (?<name>
        if (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') i = src.indexOf('>', i);
        else i += src[i + 2] === '<' ? 3 : 2;
      }
    } else if ('|)^$'.includes(char)) {
      flush();
    } else if (char === '.') {
      flush();
      pieces.push('a');
    } else literal += char;
  }
  flush();
  return pieces.filter((piece) => piece.length > 0);
}

/** An adversarial text, as a recipe: `head`, then `repeat` over and over, ending in `tail`; `length` in all. */
export interface InputRecipe {
  head: string;
  repeat: string;
  tail: string;
}

/** The text of a recipe, `length` characters long. */
export function buildInput(recipe: InputRecipe, length: number): string {
  const body = recipe.head + recipe.repeat.repeat(Math.ceil(length / recipe.repeat.length));
  return body.slice(0, length - recipe.tail.length) + recipe.tail;
}

/**
 * Texts meant to make a backtracking engine work hard: each prefix of the pattern repeated (a match started
 * at every copy and abandoned at the end is the quadratic case), each prefix followed by a long run of its
 * last piece and a character that ends no piece (the exponential case).
 */
export function adversarialInputs(regex: RegExp): InputRecipe[] {
  const pieces = regexPieces(regex);
  const pumps = new Set<string>();
  let prefix = '';
  for (const piece of pieces) {
    prefix += piece;
    pumps.add(prefix);
    pumps.add(piece);
  }
  const recipes = new Map<string, InputRecipe>();
  const add = (recipe: InputRecipe) => recipes.set(JSON.stringify(recipe), recipe);
  for (const pump of pumps) {
    add({ head: '', repeat: pump, tail: '' });
    for (const tail of ['\u0000', '!']) add({ head: pump, repeat: pump.slice(-1), tail });
  }
  return [...recipes.values()];
}

/** A regex and the first recipe it took longer than the bound over. */
export interface SlowRegex {
  where: string;
  regex: RegExp;
  input: string;
  ms: number;
}

// Runs in a worker thread: each regex over each of its recipes, a search then a global scan, reporting when
// it starts and ends one, so the main thread can stop a run that takes too long (terminating the worker
// interrupts the regex engine mid-match; a quadratic search of 256 KB would otherwise run for seconds).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { jobs, length, from } = workerData;
for (let j = from.job; j < jobs.length; j += 1) {
  const { source, flags, recipes } = jobs[j];
  const once = new RegExp(source, flags.replace(/[gy]/g, ''));
  const all = new RegExp(source, flags.replace(/[gy]/g, '') + 'g');
  for (let r = j === from.job ? from.recipe : 0; r < recipes.length; r += 1) {
    const { head, repeat, tail } = recipes[r];
    const text = (head + repeat.repeat(Math.ceil(length / repeat.length))).slice(0, length - tail.length) + tail;
    parentPort.postMessage({ job: j, recipe: r, started: true });
    const started = performance.now();
    once.exec(text);
    text.replace(all, '');
    parentPort.postMessage({ job: j, recipe: r, ms: performance.now() - started });
  }
}
parentPort.postMessage({ finished: true });
`;

/**
 * Every regex over each of its adversarial texts of `length` characters, in a worker thread stopped when one
 * run passes `boundMs`. A stopped run is tried once more in a fresh worker (a loaded machine can stall any
 * run) and counts as slow only if the second try is stopped too. Resolves to the slow ones.
 */
export async function findSlowRegexes(
  regexes: readonly FoundRegex[],
  length: number,
  boundMs: number,
): Promise<SlowRegex[]> {
  const { Worker } = await import('node:worker_threads');
  const jobs = regexes.map(({ regex }) => ({
    source: regex.source,
    flags: regex.flags,
    recipes: adversarialInputs(regex),
  }));
  const slow: SlowRegex[] = [];
  let from = { job: 0, recipe: 0 };
  let stalledOnce: string | undefined;
  while (from.job < jobs.length) {
    const stoppedAt = await new Promise<{ job: number; recipe: number } | undefined>((resolve, reject) => {
      const worker = new Worker(WORKER, { eval: true, workerData: { jobs, length, from } });
      let running: { job: number; recipe: number; since: number } | undefined;
      const watch = setInterval(
        () => {
          if (running && performance.now() - running.since > boundMs) {
            const { job, recipe } = running;
            running = undefined;
            clearInterval(watch);
            void worker.terminate().then(() => resolve({ job, recipe }));
          }
        },
        Math.max(5, boundMs / 20),
      );
      worker.on('message', (message: { job?: number; recipe?: number; started?: boolean; finished?: boolean }) => {
        if (message.finished) {
          clearInterval(watch);
          void worker.terminate().then(() => resolve(undefined));
        } else if (message.started) running = { job: message.job!, recipe: message.recipe!, since: performance.now() };
        else running = undefined;
      });
      worker.on('error', (error) => {
        clearInterval(watch);
        reject(error);
      });
    });
    if (!stoppedAt) break;
    const key = `${stoppedAt.job}:${stoppedAt.recipe}`;
    if (stalledOnce !== key) {
      stalledOnce = key;
      from = stoppedAt;
      continue;
    }
    const found = regexes[stoppedAt.job]!;
    slow.push({ ...found, input: buildInput(jobs[stoppedAt.job]!.recipes[stoppedAt.recipe]!, length), ms: boundMs });
    from = { job: stoppedAt.job + 1, recipe: 0 };
  }
  return slow;
}
