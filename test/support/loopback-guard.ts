/**
 * Fail any connection past loopback. Imported by tests that run real cloud SDK clients: a client that tries
 * to reach a real cloud or a metadata server (169.254.169.254, metadata.google.internal) fails the test
 * instead of leaking.
 */
import net from 'node:net';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;
const original = net.Socket.prototype.connect;
let installed = false;
/** Every host a blocked connection named; a test asserts it stays empty. */
export const blockedConnections: string[] = [];

/** Patch `net.Socket#connect` (TLS and HTTP go through it) to refuse every non-loopback host. */
export function installLoopbackGuard(): void {
  if (installed) return;
  installed = true;
  process.env.METADATA_SERVER_DETECTION = 'none';
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const first = args[0] as { host?: string; path?: string; port?: number } | number | string | unknown[];
    const options = Array.isArray(first) ? (first[0] as { host?: string; path?: string }) : first;
    const host =
      typeof options === 'object' && options !== null
        ? ((options as { host?: string }).host ?? ((options as { path?: string }).path ? 'localhost' : 'localhost'))
        : typeof args[1] === 'string'
          ? (args[1] as string)
          : 'localhost';
    if (!LOOPBACK.test(host)) {
      blockedConnections.push(host);
      throw new Error(`loopback guard: a connection to ${host} was attempted; tests may only reach 127.0.0.1`);
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
}
