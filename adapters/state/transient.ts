/**
 * Redis error replies that say "not now" rather than "never": the server is loading its data set, busy
 * with a long script, failing over, or read-only during a failover. Anything else Redis replies with is
 * a definite answer (a bug, a wrong key type) that no retry fixes.
 */
const TRANSIENT_REPLY = /\b(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|MOVED|ASK)\b/;

export function isTransientReply(message: string): boolean {
  return TRANSIENT_REPLY.test(message);
}

export function isNoScriptMessage(message: string): boolean {
  return message.includes('NOSCRIPT');
}
