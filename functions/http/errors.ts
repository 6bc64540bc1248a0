/**
 * The API's one error shape, `{ "error": { "code", "message", "issues"? } }`, and the mapping from every
 * error the app can meet to a status: validation 400, unknown document 404, stale ETag 412, state store
 * down 503. Nothing answers with a stack; an unexpected error is logged and answered 500 `internal`.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { formatPath, formatProblem, type ValidationProblem } from '../../core/errors.ts';
import { KeyLimitError } from '../../adapters/state/access-errors.ts';
import {
  StateUnavailableError,
  TargetLimitError,
  TargetNotFoundError,
  VersionConflictError,
  isRetryable,
} from '../../adapters/state/errors.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import { ShellError } from '../shell/errors.ts';

/** One problem of a rejected request, as `tide validate` prints it (field, message, value). */
export interface ApiIssue {
  path: string;
  message: string;
  received?: unknown;
}

/** The body of every error answer. */
export interface ApiErrorBody {
  error: { code: string; message: string; issues?: ApiIssue[] };
}

/** An error the routes throw on purpose; the handler answers it as it is. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly issues?: ApiIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** `{ error: { code, message, issues? } }`. */
export function errorBody(code: string, message: string, issues?: ApiIssue[]): ApiErrorBody {
  return { error: { code, message, ...(issues && issues.length > 0 ? { issues } : {}) } };
}

/** Issues from validation problems, messages as `tide validate` formats them. */
export function issuesOf(problems: readonly ValidationProblem[]): ApiIssue[] {
  return problems.map((problem) => ({
    path: problem.path,
    message: formatProblem(problem),
    ...(problem.received === undefined ? {} : { received: problem.received }),
  }));
}

interface ZodIssueLike {
  path: readonly PropertyKey[];
  message: string;
  input?: unknown;
}

/** The validation problems of a zod failure, with the value found at each path. */
export function problemsOf(issues: readonly ZodIssueLike[], data: unknown): ValidationProblem[] {
  return issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
    received: 'input' in issue ? issue.input : valueAt(data, issue.path),
  }));
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let here: unknown = data;
  for (const key of path) {
    if (here === null || typeof here !== 'object') return undefined;
    here = (here as Record<PropertyKey, unknown>)[key];
  }
  return here;
}

/** The default hook of every route: a zod failure becomes a 400 naming each field and value. */
export function validationHook(
  result: { success: boolean; error?: { issues: readonly ZodIssueLike[] }; data?: unknown; target?: string },
  c: Context,
) {
  if (result.success) return undefined;
  const where = result.target === 'json' ? 'body' : result.target === 'param' ? 'path' : (result.target ?? 'request');
  const issues = issuesOf(problemsOf(result.error?.issues ?? [], result.data));
  return c.json(
    errorBody('invalid-request', `invalid ${where}: ${issues.map((i) => i.message).join('; ')}`, issues),
    400,
  );
}

const HTTP_CODES: Partial<Record<number, string>> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
};

/** The app's `onError`: every thrown error to the error shape, never a stack. */
export function errorHandler(logger: Logger) {
  return (error: Error, c: Context) => {
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json(errorBody(error.code, error.message, error.issues), error.status);
    }
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      const malformed = /malformed json/i.test(error.message);
      const code = malformed ? 'malformed-json' : (HTTP_CODES[status] ?? 'bad-request');
      const message = malformed ? 'the body is not valid JSON' : error.message || code;
      return c.json(errorBody(code, message), status);
    }
    if (error instanceof VersionConflictError)
      return c.json(errorBody('precondition-failed', 'the document changed: its ETag no longer matches'), 412);
    if (error instanceof TargetNotFoundError) return c.json(errorBody('not-found', error.message), 404);
    if (error instanceof TargetLimitError || error instanceof KeyLimitError)
      return c.json(errorBody('limit-reached', error.message), 409);
    if (error instanceof StateUnavailableError || isRetryable(error)) {
      logger.warn('api: answered 503', { path: c.req.path, error: error.message });
      c.header('Retry-After', '1');
      // The answer names what is unavailable: the state store, or the shell's own typed reason (the decision core
      // not loaded, the target's queue full, the commit lost to contention); anything else retryable, generically.
      const message =
        error instanceof StateUnavailableError
          ? 'the state store is not answering; try again shortly'
          : error instanceof ShellError
            ? error.message
            : 'a service Tide depends on is not answering; try again shortly';
      return c.json(errorBody('unavailable', message), 503);
    }
    logger.error('api: unexpected error', { path: c.req.path, method: c.req.method, error: error.message });
    return c.json(errorBody('internal', 'internal error'), 500);
  };
}
