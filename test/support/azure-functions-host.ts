/**
 * The part of the Azure Functions Node.js worker that the @azure/functions v4 library talks to, for tests:
 * the worker provides the `@azure/functions-core` module; the library registers its programming model and
 * every `app.http` / `app.eventGrid` / `app.timer` function through it, and the worker invokes a function
 * the way the host asks it to: `programmingModel.getInvocationModel(ctx)`, then `getArguments()` (the
 * library turns the RPC input data into HttpRequest, the event, the Timer and an InvocationContext),
 * `invokeFunction()` and `getResponse()` (the library turns the result back into RPC output data). This
 * module installs that core module (as the worker does, by intercepting `require`) and drives those calls
 * with the RPC payloads the host sends, so the handlers run through the library's own converters, not a copy.
 * Install it before the function app is imported.
 */
import { randomUUID } from 'node:crypto';
import Module from 'node:module';

export interface RegisteredFunction {
  metadata: {
    name: string;
    bindings: Record<string, { type: string; direction: string; [key: string]: unknown }>;
    retryOptions?: unknown;
  };
  handler: (...args: unknown[]) => unknown;
}

/** RPC typed data, as the host sends it. */
export type RpcTypedData =
  | { string: string }
  | { json: string }
  | { bytes: Uint8Array }
  | { http: Record<string, unknown> };

export interface InvocationResult {
  /** `Success`, or `Failure` with the error the handler threw (the host then retries or fails the trigger). */
  status: 'Success' | 'Failure';
  error?: Error;
  returnValue?: unknown;
  outputData?: unknown[];
  logs: { level: string; message: string }[];
}

interface ProgrammingModelLike {
  name: string;
  version: string;
  getInvocationModel(context: unknown): {
    getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
    invokeFunction(context: unknown, inputs: unknown[], handler: unknown): Promise<unknown>;
    getResponse(context: unknown, result: unknown): Promise<{ returnValue?: unknown; outputData?: unknown[] }>;
  };
}

export interface FunctionsHost {
  functions: Map<string, RegisteredFunction>;
  programmingModel(): ProgrammingModelLike | undefined;
  /** Invoke a registered function with the trigger's RPC data, as the worker does on an InvocationRequest. */
  invoke(
    name: string,
    trigger: RpcTypedData,
    triggerMetadata?: Record<string, RpcTypedData>,
  ): Promise<InvocationResult>;
}

let host: FunctionsHost | undefined;

export function installFunctionsHost(): FunctionsHost {
  if (host) return host;
  const functions = new Map<string, RegisteredFunction>();
  let model: ProgrammingModelLike | undefined;
  const logs: { level: string; message: string }[] = [];
  const core = {
    version: '3.10.1',
    hostVersion: '4.1037.0',
    setProgrammingModel: (programmingModel: ProgrammingModelLike) => {
      model = programmingModel;
    },
    getProgrammingModel: () => model,
    registerFunction: (metadata: RegisteredFunction['metadata'], handler: RegisteredFunction['handler']) => {
      functions.set(metadata.name, { metadata, handler });
      return { dispose: () => functions.delete(metadata.name) };
    },
    registerHook: () => ({ dispose: () => undefined }),
    log: (level: string, _category: string, message: string) => logs.push({ level, message }),
    Disposable: class {
      constructor(private readonly callback: () => void) {}
      dispose() {
        this.callback();
      }
    },
  };
  // Module._load is Node's internal loader (untyped), the one the worker intercepts too.
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = loader._load;
  loader._load = function loadWithCore(this: unknown, request: string, ...rest: unknown[]) {
    if (request === '@azure/functions-core') return core;
    return load.call(this, request, ...rest);
  };
  host = {
    functions,
    programmingModel: () => model,
    async invoke(name, trigger, triggerMetadata = {}) {
      const fn = functions.get(name);
      if (!fn || !model)
        throw new Error(`no function ${name} registered (registered: ${[...functions.keys()].join(', ')})`);
      const triggerName = Object.entries(fn.metadata.bindings).find(
        ([, binding]) => binding.direction === 'in' && binding.type.toLowerCase().endsWith('trigger'),
      )?.[0];
      if (!triggerName) throw new Error(`function ${name} has no trigger binding`);
      const invocationId = randomUUID();
      const start = logs.length;
      const invocation = model.getInvocationModel({
        invocationId,
        request: { invocationId, functionId: name, inputData: [{ name: triggerName, data: trigger }], triggerMetadata },
        metadata: fn.metadata,
        state: undefined,
      });
      const { context, inputs } = await invocation.getArguments();
      const userLogs: { level: string; message: string }[] = [];
      try {
        const result = await invocation.invokeFunction(context, inputs, fn.handler);
        const response = await invocation.getResponse(context, result);
        return { status: 'Success', ...response, logs: [...logs.slice(start), ...userLogs] };
      } catch (error) {
        return { status: 'Failure', error: error as Error, logs: [...logs.slice(start), ...userLogs] };
      }
    },
  };
  return host;
}

/** The host's RPC data for an HTTP request. */
export function rpcHttp(request: {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
}): RpcTypedData {
  const url = new URL(request.url);
  return {
    http: {
      method: request.method,
      url: request.url,
      headers: request.headers ?? {},
      query: Object.fromEntries(url.searchParams),
      params: { path: url.pathname.replace(/^\/+/, '') },
      ...(request.body !== undefined ? { body: { bytes: new TextEncoder().encode(request.body) } } : {}),
    },
  };
}

/** The HTTP response the host gets back: status, headers and body text. */
export function httpResponseOf(result: InvocationResult): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  if (result.status === 'Failure') throw result.error;
  const http = (
    result.returnValue as {
      http?: { statusCode: string; headers: Record<string, string>; body?: { bytes?: Uint8Array } };
    }
  )?.http;
  if (!http) throw new Error('the HTTP function returned no http output');
  return {
    status: Number(http.statusCode),
    headers: http.headers,
    body: http.body?.bytes ? Buffer.from(http.body.bytes).toString('utf8') : '',
  };
}
