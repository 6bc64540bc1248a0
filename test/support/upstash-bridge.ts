import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';

/**
 * A local endpoint speaking the Upstash REST protocol over a real redis-server, so tests run the real
 * `@upstash/redis` client. What it serves (as the client 1.39 sends it):
 * - `POST /` with one command as a JSON array -> `{"result": …}`, or HTTP 400 `{"error": …}`;
 * - `POST /pipeline` with an array of commands -> an array of `{"result"}`/`{"error"}`, in order, not atomic;
 * - `POST /multi-exec` -> the same, atomically (MULTI … EXEC on a connection of its own);
 * - path-style commands (`/set/foo/bar`, a POST body appended as the last argument);
 * - `Authorization: Bearer <token>` (or `?_token=`), HTTP 401 otherwise;
 * - `Upstash-Encoding: base64`: every string in the reply base64-encoded except "OK"; integers and null as is.
 * When Redis itself is unreachable the bridge drops the HTTP connection, which is what a client sees of an
 * unreachable Upstash; while Redis is paused, requests hang until it resumes (the client's timeout decides).
 */
export interface UpstashBridge {
  url: string;
  token: string;
  /** HTTP requests served (a round trip each), by path. */
  readonly requests: number;
  readonly byPath: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

type Command = (string | number)[];

function encode(value: unknown, base64: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (Buffer.isBuffer(value) || typeof value === 'string') {
    const buffer = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
    const text = buffer.toString('utf8');
    if (text === 'OK' || !base64) return text;
    return buffer.toString('base64');
  }
  if (Array.isArray(value))
    return value.map((item) => (item instanceof Error ? { error: item.message } : encode(item, base64)));
  return String(value);
}

function isCommand(value: unknown): value is Command {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((part) => typeof part === 'string' || typeof part === 'number')
  );
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startUpstashBridge(options: { redisUrl: string; token?: string }): Promise<UpstashBridge> {
  const token = options.token ?? 'bridge-test-token';
  const connect = () =>
    new Redis(options.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: () => 50,
    });
  const shared = connect();
  const transactions = connect();
  shared.on('error', () => undefined);
  transactions.on('error', () => undefined);
  await Promise.all(
    [shared, transactions].map((connection) => new Promise((resolve) => connection.once('ready', resolve))),
  );
  let transactionChain: Promise<unknown> = Promise.resolve();
  let requests = 0;
  const byPath: Record<string, number> = {};

  // Upper case: ioredis reshapes some replies by lower-case command name (HGETALL into an object).
  const run = (connection: Redis, [name, ...args]: Command) =>
    connection.callBuffer(String(name).toUpperCase(), args.map(String));

  /** A reply error from Redis is an answer; any other failure means Redis could not be reached. */
  const answer = async (work: () => Promise<unknown>): Promise<{ result: unknown } | { error: string }> => {
    try {
      return { result: await work() };
    } catch (error) {
      if ((error as Error).name === 'ReplyError') return { error: (error as Error).message };
      throw error;
    }
  };

  const multiExec = (commands: Command[]) => {
    const next = transactionChain.then(async () => {
      await transactions.call('MULTI');
      try {
        for (const command of commands) await run(transactions, command).catch((error: Error) => error);
        return (await transactions.callBuffer('EXEC')) as unknown[];
      } catch (error) {
        await transactions.call('DISCARD').catch(() => undefined);
        throw error;
      }
    });
    transactionChain = next.catch(() => undefined);
    return next;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    requests += 1;
    const url = new URL(request.url ?? '/', 'http://bridge');
    byPath[url.pathname] = (byPath[url.pathname] ?? 0) + 1;
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const auth = request.headers.authorization ?? '';
    if (auth !== `Bearer ${token}` && url.searchParams.get('_token') !== token)
      return send(401, { error: 'Unauthorized' });
    const base64 = String(request.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const text = await readBody(request);
    const body: unknown = text === '' ? null : JSON.parse(text);

    if (url.pathname === '/pipeline' || url.pathname === '/multi-exec') {
      if (!Array.isArray(body) || !body.every(isCommand))
        return send(400, { error: 'ERR expected an array of commands' });
      if (url.pathname === '/pipeline') {
        const replies = await Promise.all(body.map((command) => answer(() => run(shared, command))));
        return send(
          200,
          replies.map((reply) => ('error' in reply ? reply : { result: encode(reply.result, base64) })),
        );
      }
      const replies = await multiExec(body);
      return send(
        200,
        replies.map((reply) => (reply instanceof Error ? { error: reply.message } : { result: encode(reply, base64) })),
      );
    }
    let command: Command;
    if (url.pathname === '/' || url.pathname === '') {
      if (!isCommand(body)) return send(400, { error: 'ERR expected a command as a JSON array' });
      command = body;
    } else {
      command = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      if (text !== '') command.push(text);
    }
    const reply = await answer(() => run(shared, command));
    if ('error' in reply) return send(400, reply);
    return send(200, { result: encode(reply.result, base64) });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      // Redis unreachable: drop the connection, as an unreachable Upstash endpoint would look.
      request.socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('bridge has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    token,
    get requests() {
      return requests;
    },
    get byPath() {
      return byPath;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      shared.disconnect();
      transactions.disconnect();
    },
  };
}
