import type { ZodType } from 'zod';

/** One problem in a document: where it is, what is wrong, and the value that was there. */
export interface ValidationProblem {
  /** Dotted path to the field, e.g. `behavior.scaleDown.stabilizationWindowSeconds`; `(root)` for the document. */
  path: string;
  message: string;
  /** The value found at that path (undefined when the field is missing). */
  received: unknown;
}

/** A document (policy, target, decision input, event payload) failed its schema. Names every field that did. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    /** What was being read, e.g. `policy`, `decision input`. */
    readonly documentName: string,
    readonly problems: ValidationProblem[],
  ) {
    super(`invalid ${documentName}: ${problems.map(formatProblem).join('; ')}`);
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `path: message (got value)`; the value is left out where the message already says "was: …". */
export function formatProblem(problem: ValidationProblem): string {
  const hasValue = /\bwas: /.test(problem.message);
  return `${problem.path}: ${problem.message}${hasValue ? '' : ` (got ${formatValue(problem.received)})`}`;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ValidationError };

/** Parse a document against a schema without throwing; every issue names its field and the value it got. */
export function parseDocument<T>(schema: ZodType<T>, data: unknown, documentName: string): ParseResult<T> {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.flatMap((issue): ValidationProblem[] => {
    // Documents are strict: a misspelt field is an error at the field itself, not a silent drop.
    if (issue.code === 'unrecognized_keys') {
      const owner = issue.path.length === 0 ? `the ${documentName}` : formatPath(issue.path);
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key]),
        message: `unknown field of ${owner}`,
        received: valueAt(data, [...issue.path, key]),
      }));
    }
    return [
      {
        path: formatPath(issue.path),
        message: issue.message,
        received: 'input' in issue ? issue.input : valueAt(data, issue.path),
      },
    ];
  });
  return { ok: false, error: new ValidationError(documentName, problems) };
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let here: unknown = data;
  for (const key of path) {
    if (here === null || typeof here !== 'object') return undefined;
    here = (here as Record<PropertyKey, unknown>)[key];
  }
  return here;
}
