import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.ts';
import {
  createAccessStore,
  createStateStore,
  DEFAULT_STATE_OPTIONS,
  stateConfigFromEnv,
} from '../../../adapters/state/index.ts';
import { testTarget } from './fixtures.ts';

const upstash = { UPSTASH_REDIS_REST_URL: 'https://eu1-example.upstash.io', UPSTASH_REDIS_REST_TOKEN: 'secret' };

describe('stateConfigFromEnv', () => {
  it.each([
    {
      label: 'Upstash when both of its variables are set',
      env: upstash,
      backend: { kind: 'upstash', url: upstash.UPSTASH_REDIS_REST_URL, token: 'secret' },
    },
    {
      label: 'Upstash before REDIS_URL',
      env: { ...upstash, REDIS_URL: 'redis://cache:6379' },
      backend: { kind: 'upstash' },
    },
    {
      label: 'TCP Redis from REDIS_URL',
      env: { REDIS_URL: 'rediss://user:pw@cache.example.com:6380' },
      backend: { kind: 'redis', url: 'rediss://user:pw@cache.example.com:6380' },
    },
    { label: 'memory when nothing is set', env: {}, backend: { kind: 'memory' } },
    { label: 'memory when the variables are empty strings', env: { REDIS_URL: '' }, backend: { kind: 'memory' } },
  ])('chooses $label', ({ env, backend }) => {
    expect(stateConfigFromEnv(env).backend).toMatchObject(backend);
  });

  it('defaults every limit (1 s timeout, 24 h event TTL) and reads overrides', () => {
    expect(stateConfigFromEnv({}).options).toEqual(DEFAULT_STATE_OPTIONS);
    expect(DEFAULT_STATE_OPTIONS).toMatchObject({ timeoutMs: 1000, eventTtlSeconds: 86_400 });
    const options = stateConfigFromEnv({
      TIDE_STATE_TIMEOUT_MS: '250',
      TIDE_DEPLOYMENT: 'prod-eu',
      TIDE_AUDIT_MAX_ENTRIES: '500',
    }).options;
    expect(options).toMatchObject({ timeoutMs: 250, namespace: 'prod-eu', auditMaxEntries: 500 });
  });

  it.each([
    { label: 'a token without a URL', env: { UPSTASH_REDIS_REST_TOKEN: 'x' }, field: 'UPSTASH_REDIS_REST_URL' },
    { label: 'a non-Redis URL', env: { REDIS_URL: 'http://cache:6379' }, field: 'REDIS_URL' },
    { label: 'a timeout that is not a number', env: { TIDE_STATE_TIMEOUT_MS: 'soon' }, field: 'TIDE_STATE_TIMEOUT_MS' },
    { label: 'a deployment name with a brace', env: { TIDE_DEPLOYMENT: 'a}b' }, field: 'TIDE_DEPLOYMENT' },
  ])('refuses $label, naming the variable', ({ env, field }) => {
    const error = (() => {
      try {
        stateConfigFromEnv(env);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((problem) => problem.path)).toContain(field);
  });
});

describe('createStateStore', () => {
  it('warns at start when it falls back to memory', async () => {
    const warnings: string[] = [];
    const store = createStateStore(stateConfigFromEnv({}), {
      info: () => undefined,
      warn: (message) => warnings.push(message),
    });
    expect(store.kind).toBe('memory');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/in memory.*lost when the process exits/);
    await store.close();
  });

  it.each([
    { env: upstash, kind: 'upstash' },
    { env: { REDIS_URL: 'redis://127.0.0.1:1' }, kind: 'redis' },
  ])('builds the $kind store without connecting', async ({ env, kind }) => {
    const store = createStateStore(stateConfigFromEnv(env), { info: () => undefined, warn: () => undefined });
    expect(store.kind).toBe(kind);
    await store.close();
  });
});

describe('the memory stores the factories make (loaded at their first call)', () => {
  const quiet = { info: () => undefined, warn: () => undefined };
  const audit = (action: string) => ({
    record: { at: 1_000, keyId: 'k1', keyName: 'ops', action, targetId: 'llm', change: null },
    maxEntries: 100,
  });

  it('share the write audit: a document write through the state store is read by the access store beside it', async () => {
    const config = stateConfigFromEnv({});
    const state = createStateStore(config, quiet);
    const access = createAccessStore(config, {}, state);
    // Access first: its load waits for the state store's, whose log it reads.
    expect(await access.readWrites()).toEqual([]);
    const version = await state.putTarget(testTarget('llm'), undefined, audit('put-target'));
    expect(await access.readWrites()).toEqual([
      { at: 1_000, keyId: 'k1', keyName: 'ops', action: 'put-target', targetId: 'llm', change: null, version },
    ]);
    // Without a store beside it, an access store keeps its own audit.
    const alone = createAccessStore(config);
    expect(await alone.readWrites()).toEqual([]);
  });

  it('run calls in the order they were made, the first ones included', async () => {
    const state = createStateStore(stateConfigFromEnv({}), quiet);
    // Neither awaited before the other is made: the read still sees the write.
    const written = state.putTarget(testTarget('llm'));
    const read = state.getTarget('llm');
    expect(await written).toBe(1);
    expect((await read)?.value.id).toBe('llm');
    expect(await state.listTargets()).toEqual(['llm']);
    await state.records?.set('azure-op:llm:1', 'started', 60_000);
    expect(await state.records?.get('azure-op:llm:1')).toBe('started');
  });
});
