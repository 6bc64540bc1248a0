import { KeyFetchError } from './errors.ts';

/** How a key or certificate is fetched: HTTPS only, one attempt, a timeout, a size cap, no redirects. */
export interface KeyFetchOptions {
  /** Whole request, connect to last byte, ms. */
  timeoutMs: number;
  /** Bytes read at most; a longer body is cut off and refused. */
  maxBytes: number;
  /** Extra CA certificates (PEM) trusted for this fetch, e.g. a private mirror's; default: the system's. */
  ca?: string | Buffer | readonly (string | Buffer)[];
}

/** A GET that follows no redirect (a redirect could leave the allow-listed host) and reads at most `maxBytes`. */
export type KeyFetcher = (url: URL, options: KeyFetchOptions) => Promise<Buffer>;

export const httpsGet: KeyFetcher = async (url, options) => {
  if (url.protocol !== 'https:') throw new KeyFetchError(`only https is fetched, was: ${url.protocol}`);
  // node:https (node:tls under it) is loaded at the first key fetch, not at every cold start (issue 18).
  const { request } = await import('node:https');
  return new Promise<Buffer>((resolve, reject) => {
    const req = request(
      url,
      { method: 'GET', timeout: options.timeoutMs, ...(options.ca ? { ca: options.ca as string[] } : {}) },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new KeyFetchError(`${url.host} answered HTTP ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            req.destroy(new KeyFetchError(`${url.host} sent more than ${options.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      },
    );
    // The socket timeout covers an idle connection; this one covers a slow trickle too.
    const timer = setTimeout(
      () => req.destroy(new KeyFetchError(`${url.host}: no complete answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.on('timeout', () => req.destroy(new KeyFetchError(`${url.host}: idle for ${options.timeoutMs} ms`)));
    req.on('error', (error) =>
      reject(error instanceof KeyFetchError ? error : new KeyFetchError(`${url.host}: ${error.message}`)),
    );
    req.on('close', () => clearTimeout(timer));
    req.end();
  });
};

/**
 * A small cache of fetched keys: entries live `ttlMs`, at most `maxEntries` are kept (oldest out first), and
 * concurrent requests for one URL share one fetch. A failed fetch is not cached.
 */
export class KeyCache<T> {
  private readonly entries = new Map<string, { value: Promise<T>; until: number }>();
  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.until > this.now()) return hit.value;
    const value = load();
    this.entries.delete(key);
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }
}
