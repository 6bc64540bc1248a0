import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP endpoint that speaks the AWS protocols as the SDK v3 clients send them (see
 * shared/CLOUD-SDKS.md section 1): awsJson1_1 (SageMaker, Application Auto Scaling, EventBridge), awsJson1_0
 * (CloudWatch), awsQuery (Auto Scaling) and the ec2 query protocol, all as `POST /`. The service is read from
 * the SigV4 credential scope, the operation from `x-amz-target` or `Action`. Every request is recorded, and
 * faults can be queued per service and operation.
 */

export type AwsService =
  | 'sagemaker'
  | 'application-autoscaling'
  | 'autoscaling'
  | 'ec2'
  | 'monitoring'
  | 'events'
  | 'sts';

/** One request as the fake understood it. */
export interface RecordedRequest {
  service: AwsService;
  action: string;
  /** The JSON body, or the flattened query parameters. */
  params: Record<string, unknown>;
  /** `attempt=N; max=M` from the SDK's retry header. */
  attempt: string | undefined;
  /** The access key the SigV4 signature names (which credentials the client found). */
  accessKeyId: string | undefined;
  at: number;
}

/** What the fake does instead of answering. */
export type Fault =
  | 'throttle'
  | 'server-error'
  | 'connection-reset'
  | 'timeout'
  | 'access-denied'
  | { status: number; code: string; message: string }
  /**
   * Answer as the model stands when the request arrives, but send it only once `until` settles: a reply held
   * back (slow on the way) while the test does something else.
   */
  | { until: Promise<unknown> };

/** A service's answer: a plain object, or an error to send in the service's protocol. */
export type Handler = (action: string, params: Record<string, unknown>) => unknown;

/** An error a handler throws to answer in the protocol's error shape. */
export class AwsWireError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const JSON_PROTOCOL: Record<string, '1.0' | '1.1'> = {
  sagemaker: '1.1',
  'application-autoscaling': '1.1',
  events: '1.1',
  monitoring: '1.0',
};

interface QueuedFault {
  service?: AwsService;
  action?: string;
  fault: Fault;
  remaining: number;
}

export interface AwsWireServer {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`. */
  url: string;
  requests: RecordedRequest[];
  /** Fail the next `times` matching requests with `fault` (every service and action when left out). */
  fail(match: { service?: AwsService; action?: string }, fault: Fault, times?: number): void;
  /** Requests to one service and action. */
  calls(service: AwsService, action?: string): RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

/** Start the endpoint on 127.0.0.1, port 0, answering with `handlers[service]`. */
export async function startAwsWireServer(handlers: Partial<Record<AwsService, Handler>>): Promise<AwsWireServer> {
  const requests: RecordedRequest[] = [];
  const faults: QueuedFault[] = [];
  const hanging = new Set<ServerResponse>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        serve(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
    });
  });

  const serve = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const service = serviceOf(req);
    const json = JSON_PROTOCOL[service];
    const target = req.headers['x-amz-target'];
    let action: string;
    let params: Record<string, unknown>;
    if (json && typeof target === 'string') {
      action = target.slice(target.lastIndexOf('.') + 1);
      params = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } else {
      const query = Object.fromEntries(new URLSearchParams(body));
      action = query.Action ?? '';
      params = query;
    }
    const attempt = req.headers['amz-sdk-request'];
    requests.push({
      service,
      action,
      params,
      attempt: typeof attempt === 'string' ? attempt : undefined,
      accessKeyId: /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1],
      at: Date.now(),
    });

    const index = faults.findIndex(
      (f) => (f.service === undefined || f.service === service) && (f.action === undefined || f.action === action),
    );
    if (index >= 0) {
      const queued = faults[index] as QueuedFault;
      queued.remaining -= 1;
      if (queued.remaining <= 0) faults.splice(index, 1);
      const fault = queued.fault;
      if (typeof fault === 'object' && 'until' in fault) {
        const reply = answer(res, service, action, params, true);
        void fault.until.finally(reply);
        return;
      }
      return sendFault(res, service, fault);
    }
    answer(res, service, action, params)();
  };

  /** The model's answer now (a copy when it is sent `later`: the model may change meanwhile), and the function that sends it. */
  const answer = (
    res: ServerResponse,
    service: AwsService,
    action: string,
    params: Record<string, unknown>,
    later = false,
  ) => {
    const handler = handlers[service];
    if (!handler) {
      const error = new AwsWireError('UnknownService', `no fake for ${service}`, 400);
      return () => sendError(res, service, error);
    }
    try {
      const output = later ? structuredClone(handler(action, params)) : handler(action, params);
      return () => sendOutput(res, service, action, output);
    } catch (error) {
      if (error instanceof AwsWireError) return () => sendError(res, service, error);
      throw error;
    }
  };

  const sendFault = (res: ServerResponse, service: AwsService, fault: Exclude<Fault, { until: unknown }>) => {
    switch (fault) {
      case 'connection-reset':
        res.socket?.destroy();
        return;
      case 'timeout':
        // Never answer: the client's request timeout must end it.
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'throttle':
        return sendError(res, service, throttleOf(service));
      case 'server-error':
        return sendError(res, service, new AwsWireError('InternalFailure', 'internal failure', 500));
      case 'access-denied':
        return sendError(
          res,
          service,
          new AwsWireError(
            service === 'ec2'
              ? 'UnauthorizedOperation'
              : service === 'autoscaling'
                ? 'AccessDenied'
                : 'AccessDeniedException',
            'User: arn:aws:sts::123456789012:assumed-role/tide/x is not authorized to perform this action',
            service === 'ec2' ? 403 : 400,
          ),
        );
      default:
        return sendError(res, service, new AwsWireError(fault.code, fault.message, fault.status));
    }
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fail(match, fault, times = 1) {
      faults.push({ ...match, fault, remaining: times });
    },
    calls: (service, action) => requests.filter((r) => r.service === service && (!action || r.action === action)),
    reset() {
      requests.length = 0;
      faults.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serviceOf(req: IncomingMessage): AwsService {
  const auth = req.headers.authorization ?? '';
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  return (scope?.[1] ?? 'unknown') as AwsService;
}

function throttleOf(service: AwsService): AwsWireError {
  if (service === 'autoscaling' || service === 'sts') return new AwsWireError('Throttling', 'Rate exceeded', 400);
  if (service === 'ec2') return new AwsWireError('RequestLimitExceeded', 'Request limit exceeded.', 503);
  return new AwsWireError('ThrottlingException', 'Rate exceeded', 400);
}

function sendOutput(res: ServerResponse, service: AwsService, action: string, output: unknown) {
  const json = JSON_PROTOCOL[service];
  if (json) {
    res.writeHead(200, { 'content-type': `application/x-amz-json-${json}` }).end(JSON.stringify(output ?? {}));
    return;
  }
  const requestId = '<RequestId>fake-request</RequestId>';
  const inner = toXml(output ?? {}, service === 'ec2' ? 'item' : 'member');
  const xml =
    service === 'ec2'
      ? `<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">${requestId}${inner}</${action}Response>`
      : `<${action}Response><${action}Result>${inner}</${action}Result><ResponseMetadata>${requestId}</ResponseMetadata></${action}Response>`;
  res.writeHead(200, { 'content-type': 'text/xml' }).end(xml);
}

function sendError(res: ServerResponse, service: AwsService, error: AwsWireError) {
  const json = JSON_PROTOCOL[service];
  if (json) {
    const headers: Record<string, string> = { 'content-type': `application/x-amz-json-${json}` };
    if (service === 'monitoring') headers['x-amzn-query-error'] = `${error.code};Sender`;
    res.writeHead(error.status, headers).end(JSON.stringify({ __type: error.code, message: error.message }));
    return;
  }
  const detail = `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>`;
  const xml =
    service === 'ec2'
      ? `<Response><Errors><Error>${detail}</Error></Errors><RequestID>fake-request</RequestID></Response>`
      : `<ErrorResponse><Error><Type>Sender</Type>${detail}</Error><RequestId>fake-request</RequestId></ErrorResponse>`;
  res.writeHead(error.status, { 'content-type': 'text/xml' }).end(xml);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Plain object to XML elements: arrays become `<member>` (awsQuery) or `<item>` (ec2) lists, dates ISO-8601. */
export function toXml(value: unknown, listItem: 'member' | 'item'): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => `<${listItem}>${toXml(v, listItem)}</${listItem}>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v, listItem)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** The members of a flattened query list, e.g. `AutoScalingGroupNames.member.1`, `InstanceType.1`. */
export function queryList(params: Record<string, unknown>, prefix: string): string[] {
  const out: [number, string][] = [];
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(?:member\\.)?(\\d+)$`);
  for (const [key, value] of Object.entries(params)) {
    const match = pattern.exec(key);
    if (match) out.push([Number(match[1]), String(value)]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}
