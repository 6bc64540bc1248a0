import { describe, expect, it } from 'vitest';
import { StateClientMissingError, lazyClientLibrary } from '../../../adapters/state/client-loader.ts';

describe('lazyClientLibrary', () => {
  it('loads once and shares the one promise among callers', async () => {
    let loads = 0;
    const load = lazyClientLibrary('ioredis', async () => ({ n: ++loads }));
    const [a, b] = await Promise.all([load(), load()]);
    expect(a).toBe(b);
    expect(await load()).toBe(a);
    expect(loads).toBe(1);
  });

  it('does not keep a failed load: the next call loads again', async () => {
    let loads = 0;
    const load = lazyClientLibrary('ioredis', async () => {
      loads += 1;
      if (loads === 1) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
      return { ok: true };
    });
    await expect(load()).rejects.toThrow(/EMFILE/);
    expect(await load()).toEqual({ ok: true });
    expect(loads).toBe(2);
  });

  it('names the missing package and the setting to change when the bundle does not carry it', async () => {
    const load = lazyClientLibrary('ioredis', async () => {
      throw Object.assign(new Error("Cannot find package 'ioredis'"), { code: 'ERR_MODULE_NOT_FOUND' });
    });
    const error = await load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateClientMissingError);
    expect((error as Error).message).toMatch(/"ioredis" is not in this deployment package; for REDIS_URL/);
  });
});
