/**
 * `tide serve --cloud NAME` as a real process against a cloud's local endpoint, the set-up the serve-aws,
 * serve-gcp and serve-azure tests share: a private redis-server, one target and its policy put in the
 * deployment's namespace, an ingest, a read and a write key, and the child started with only the variables a
 * user sets (the state's, and the cloud's own, given by the caller).
 */
import { createAccessStore, stateConfigFromEnv } from '../../adapters/state/index.ts';
import { ioredisTransport } from '../../adapters/state/ioredis-transport.ts';
import { RedisStateStore } from '../../adapters/state/redis-store.ts';
import { PolicySchema, type PolicyInput } from '../../core/schema/policy.ts';
import { TargetSchema, type TargetInput } from '../../core/schema/target.ts';
import { generateApiKey } from '../../functions/http/api-keys.ts';
import { startRedisServer, type RedisServer } from './redis-server.ts';
import { startTideServe, type TideServe } from './tide-serve.ts';

export interface CloudServe {
  serve: TideServe;
  url: string;
  redis: RedisServer;
  /** The deployment's namespace in Redis (TIDE_DEPLOYMENT). */
  namespace: string;
  keys: { ingest: string; read: string; write: string };
  /** The child's stderr so far (its log and "listening on" line). */
  stderr(): string;
  /** Stop the child (SIGTERM, bounded), then Redis. */
  close(): Promise<void>;
}

export async function startCloudServe(options: {
  cloud: 'aws' | 'gcp' | 'azure';
  target: TargetInput;
  policy: PolicyInput;
  /** The name of the ingest key (who sends the webhooks). */
  ingestKeyName: string;
  /** The cloud's own variables (credentials, endpoints), as a user sets them. */
  env: Record<string, string>;
  /** More of serve's flags (e.g. `--speed 60`: a schedule tick every real second). */
  args?: string[];
}): Promise<CloudServe> {
  const redis = await startRedisServer();
  const namespace = `serve-${options.cloud}-${process.pid}`;
  const state = { REDIS_URL: redis.url, TIDE_DEPLOYMENT: namespace };
  try {
    const store = new RedisStateStore(ioredisTransport({ url: redis.url, timeoutMs: 5_000 }), { namespace });
    const target = TargetSchema.parse(options.target);
    await store.putTarget(target);
    await store.putPolicy(target.id, PolicySchema.parse(options.policy));
    await store.close();
    const access = createAccessStore(stateConfigFromEnv(state));
    const made = {
      ingest: generateApiKey(['ingest'], options.ingestKeyName, Date.now()),
      read: generateApiKey(['read'], 'status-reader', Date.now()),
      write: generateApiKey(['write'], 'operator', Date.now()),
    };
    for (const key of Object.values(made)) await access.createKey(key.record);
    await access.close();
    const serve = await startTideServe(
      ['--cloud', options.cloud, ...(options.args ?? [])],
      { ...state, ...options.env },
      30_000,
      'only',
    );
    return {
      serve,
      url: serve.url,
      redis,
      namespace,
      keys: { ingest: made.ingest.key, read: made.read.key, write: made.write.key },
      stderr: () => serve.stderr(),
      async close() {
        await serve.stop();
        await redis.close();
      },
    };
  } catch (error) {
    await redis.close();
    throw error;
  }
}
