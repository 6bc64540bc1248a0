/**
 * Console sessions: a browser signs in once with an API key and gets an opaque session id in an HttpOnly,
 * SameSite=Strict cookie; the key stays on the server, in this process's memory, so no script on the page
 * can read it. Every console call goes to the API with that key as its bearer, so the API's own checks (the
 * key's scopes, revocation, rate limit) decide every call. Sessions are bounded in number and age and end
 * when the process does (sign in again after a restart).
 */
import { randomBytes } from 'node:crypto';

export interface ConsoleSession {
  id: string;
  key: string;
  createdAt: number;
  expiresAt: number;
}

export interface SessionOptions {
  /** Session lifetime, ms (default 12 h). */
  ttlMs: number;
  /** Sessions kept at most; the oldest goes first when full (default 1000). */
  maxSessions: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = { ttlMs: 12 * 3600_000, maxSessions: 1000 };

/** 32 random bytes, base64url (43 characters). */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  // A Map keeps insertion order: the first entry is the oldest session.
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly options: SessionOptions;

  constructor(options: Partial<SessionOptions> = {}) {
    this.options = { ...DEFAULT_SESSION_OPTIONS, ...options };
  }

  get size(): number {
    return this.sessions.size;
  }

  create(key: string, now: number): ConsoleSession {
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
    while (this.sessions.size >= this.options.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const session = {
      id: randomBytes(32).toString('base64url'),
      key,
      createdAt: now,
      expiresAt: now + this.options.ttlMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id; undefined for an unknown, malformed or expired one. */
  get(id: string | undefined, now: number): ConsoleSession | undefined {
    if (id === undefined || !SESSION_ID.test(id)) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= now) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  delete(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }
}
