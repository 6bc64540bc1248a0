/**
 * One PromQL instant query over Prometheus's HTTP API (`GET /api/v1/query`), for a metric that target
 * tracking reads from Prometheus. Each attempt has a timeout; a timeout, a network error, a 429 or a 5xx
 * is tried again (two more attempts, 250 ms then 500 ms apart); a 4xx (a bad query) is not. The answer is
 * exactly one finite value, or a reason why there is none: an empty vector, several series (the query
 * must aggregate to one), a NaN, a failed query. The caller turns a reason into a missing sample.
 */
import { array, discriminatedUnion, literal, looseObject, string, tuple, union, number } from 'zod';

export type InstantResult = { ok: true; value: number; at: number } | { ok: false; error: string };

export interface InstantQueryOptions {
  timeoutMs: number;
  /** Attempts in all (default 3). */
  attempts?: number;
  /** Delay before the second attempt, ms, doubled after (default 250). */
  backoffMs?: number;
  fetch?: typeof fetch;
  /** Evaluation time, epoch ms (default: the server's now). */
  at?: number;
  /** `Authorization` header value (basic or bearer), never logged nor put in an error. */
  authorization?: string;
}

const SampleValue = tuple([union([number(), string()]), string()]);
const QueryAnswer = discriminatedUnion('status', [
  looseObject({
    status: literal('success'),
    data: discriminatedUnion('resultType', [
      looseObject({ resultType: literal('vector'), result: array(looseObject({ value: SampleValue })) }),
      looseObject({ resultType: literal('scalar'), result: SampleValue }),
      looseObject({ resultType: literal('matrix'), result: array(looseObject({})) }),
      looseObject({ resultType: literal('string'), result: SampleValue }),
    ]),
  }),
  looseObject({ status: literal('error'), errorType: string().optional(), error: string().optional() }),
]);

const MAX_BODY = 1024 * 1024;

/** Run `query` at `server`; never throws. */
export async function prometheusInstantQuery(
  server: string,
  query: string,
  options: InstantQueryOptions,
): Promise<InstantResult> {
  const attempts = Math.max(1, Math.min(5, options.attempts ?? 3));
  const doFetch = options.fetch ?? fetch;
  const url = new URL(`${withoutTrailingSlashes(server)}/api/v1/query`);
  url.searchParams.set('query', query);
  if (options.at !== undefined) url.searchParams.set('time', (options.at / 1000).toFixed(3));
  let last = 'no attempt';
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep((options.backoffMs ?? 250) * 2 ** (attempt - 1));
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, {
        headers: options.authorization
          ? { accept: 'application/json', authorization: options.authorization }
          : { accept: 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const name = (error as Error).name;
      last =
        name === 'TimeoutError' || name === 'AbortError'
          ? `no answer within ${options.timeoutMs} ms`
          : `could not reach ${url.origin}: ${(error as Error).message}`;
      continue;
    }
    if (text.length > MAX_BODY) return { ok: false, error: `the answer is over ${MAX_BODY} bytes` };
    if (response.status === 429 || response.status >= 500) {
      last = `Prometheus answered ${response.status}${errorOf(text)}`;
      continue;
    }
    if (!response.ok) return { ok: false, error: `Prometheus answered ${response.status}${errorOf(text)}` };
    return sampleOf(text);
  }
  return { ok: false, error: `${last} (after ${attempts} attempts)` };
}

function sampleOf(text: string): InstantResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'the answer is not JSON' };
  }
  const parsed = QueryAnswer.safeParse(json);
  if (!parsed.success) return { ok: false, error: 'the answer is not a Prometheus query result' };
  const answer = parsed.data;
  if (answer.status === 'error') return { ok: false, error: `the query failed: ${answer.error ?? answer.errorType}` };
  const data = answer.data;
  let sample: [number | string, string];
  if (data.resultType === 'scalar') sample = data.result;
  else if (data.resultType === 'vector') {
    if (data.result.length === 0) return { ok: false, error: 'the query returned no series (empty result)' };
    if (data.result.length > 1)
      return {
        ok: false,
        error: `the query returned ${data.result.length} series; it must return one (aggregate it, e.g. sum(...) or max(...))`,
      };
    sample = data.result[0]!.value;
  } else
    return { ok: false, error: `the query returned a ${data.resultType}; an instant vector or a scalar is needed` };
  const value = Number(sample[1]);
  if (!Number.isFinite(value)) return { ok: false, error: `the query returned ${sample[1]}, not a finite number` };
  return { ok: true, value, at: Math.round(Number(sample[0]) * 1000) };
}

function errorOf(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    return typeof error === 'string' ? `: ${error.slice(0, 300)}` : '';
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `server` without its trailing slashes, in one pass (`/\/+$/` retries from every slash: quadratic on many). */
function withoutTrailingSlashes(server: string): string {
  let end = server.length;
  while (end > 0 && server.charCodeAt(end - 1) === 0x2f) end -= 1;
  return server.slice(0, end);
}
