/**
 * Local TLS for tests: a throwaway CA, a server certificate for 127.0.0.1 signed by it, and a separate
 * signing key with its certificate (SNS signs with one), all made by `openssl` in a temp directory. An HTTPS
 * server on 127.0.0.1, port 0, serves whatever the test routes; clients trust the CA by configuration.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  caCert: string;
  serverKey: string;
  serverCert: string;
  /** A key and certificate for signing messages (as SNS's). */
  signingKey: string;
  signingCert: string;
}

/** Make the keys and certificates (about a second of openssl). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tide-pki-'));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const text = (name: string) => readFileSync(join(dir, name), 'utf8');
  try {
    // EC keys for the CA and the server (fast to make); RSA for the signing key, as SNS signs with RSA.
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    const rsa = ['-newkey', 'rsa:2048', '-nodes'];
    ossl('req', '-x509', ...ec, '-subj', '/CN=tide test CA', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2');
    ossl('req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    const signByCa = ['-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext'];
    ossl('x509', '-req', '-in', 'server.csr', ...signByCa, '-out', 'server.pem');
    ossl(
      'req',
      '-x509',
      ...rsa,
      '-subj',
      '/CN=sns.test',
      '-keyout',
      'signing.key',
      '-out',
      'signing.pem',
      '-days',
      '2',
    );
    return {
      caCert: text('ca.pem'),
      serverKey: text('server.key'),
      serverCert: text('server.pem'),
      signingKey: text('signing.key'),
      signingCert: text('signing.pem'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TestHttpsServer {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  /** `127.0.0.1:<port>`, as `URL.host` spells it. */
  host: string;
  /** Requests received, by path and query. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1, port 0, answering with `handle`. */
export async function startHttpsServer(
  pki: TestPki,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestHttpsServer> {
  const requests: string[] = [];
  const server: Server = createServer({ key: pki.serverKey, cert: pki.serverCert }, (req, res) => {
    requests.push(req.url ?? '');
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    origin: `https://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
