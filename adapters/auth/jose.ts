/**
 * `jose`, loaded at the first token to check: only the senders that sign with JWTs (Pub/Sub push, Azure
 * Monitor's Entra ID token) need it, so it is a chunk of its own in the function bundles, not part of every
 * cold start (issue 18). A failed load is not kept: the next token tries again.
 */
export type Jose = typeof import('jose');

let jose: Promise<Jose> | undefined;

export function loadJose(): Promise<Jose> {
  jose ??= import('jose').catch((error: unknown) => {
    jose = undefined;
    throw error;
  });
  return jose;
}
