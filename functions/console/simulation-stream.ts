/**
 * `POST /console/simulate`'s answer: a malformed trace, an unknown workload or a busy runner is refused with
 * a JSON error (400, 429) before anything is streamed; otherwise the answer is NDJSON, one line per event
 * as the worker reports it: `{"type":"ready",…}`, `{"type":"progress","fraction":…}` …, and last
 * `{"type":"result","result":…}` or `{"type":"error","message":…}`. A page that goes away cancels the run.
 */
import type { Context } from 'hono';
import { SimulationInputError, type SimulationRequest } from './simulate.ts';
import { SimulationBusyError, type SimulationJob, type SimulationRunner } from './simulation-runner.ts';

export async function streamSimulation(
  c: Context,
  runner: SimulationRunner,
  request: SimulationRequest,
): Promise<Response> {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  const send = (line: object) => {
    if (closed) return;
    try {
      controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
    } catch {
      closed = true;
    }
  };
  let job: SimulationJob | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      closed = true;
      job?.cancel();
    },
  });
  try {
    job = runner.start(request, { onProgress: (progress) => send({ type: 'progress', ...progress }) });
  } catch (error) {
    if (!(error instanceof SimulationBusyError)) throw error;
    c.header('Retry-After', '10');
    return c.json({ error: { code: 'busy', message: error.message } }, 429);
  }
  const running = job;
  let size: { requests: number; spanSeconds: number };
  try {
    size = await running.ready;
  } catch (error) {
    if (error instanceof SimulationInputError)
      return c.json(
        { error: { code: 'invalid-trace', message: error.message, ...(error.line ? { line: error.line } : {}) } },
        400,
      );
    return c.json({ error: { code: 'simulation-failed', message: (error as Error).message } }, 500);
  }
  c.req.raw.signal?.addEventListener('abort', () => running.cancel(), { once: true });
  send({ type: 'ready', ...size });
  running.done
    .then(
      (result) => send({ type: 'result', result }),
      (error: Error) => send({ type: 'error', message: error.message }),
    )
    .finally(() => {
      if (closed) return;
      closed = true;
      controller.close();
    });
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' },
  });
}
