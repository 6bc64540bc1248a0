import { parseArgs } from 'node:util';
import { API_SCOPES, type ApiScope } from '../../../adapters/ports/access-store.ts';
import { createAccessStore, stateConfigFromEnv } from '../../../adapters/state/index.ts';
import { generateApiKey } from '../../http/api-keys.ts';
import { UsageError, type CliCommand } from '../command.ts';

const USAGE = `tide keys create --scope SCOPE [--scope SCOPE ...] [--name NAME]
tide keys list
tide keys revoke ID
  API keys in the state store that tide serve uses (REDIS_URL, or UPSTASH_REDIS_REST_URL and _TOKEN).
  Scopes: ${API_SCOPES.join(', ')}. A new key is printed once; only its hash is stored.`;

export const keysCommand: CliCommand = {
  name: 'keys',
  usage: USAGE,
  async run(args, io) {
    const [action, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        scope: { type: 'string', multiple: true },
        name: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (action !== 'create' && action !== 'list' && action !== 'revoke')
      throw new UsageError(`expected create, list or revoke, was: ${JSON.stringify(action ?? '')}`);
    const config = stateConfigFromEnv(process.env);
    if (config.backend.kind === 'memory')
      throw new UsageError(
        'no REDIS_URL or UPSTASH_REDIS_REST_URL/_TOKEN: an in-memory store lives inside `tide serve` (use POST /v1/keys there)',
      );
    const access = createAccessStore(config);
    try {
      if (action === 'create') {
        const scopes = values.scope ?? [];
        if (scopes.length === 0) throw new UsageError('give at least one --scope');
        for (const scope of scopes)
          if (!(API_SCOPES as readonly string[]).includes(scope))
            throw new UsageError(`--scope must be one of ${API_SCOPES.join(', ')}, was: ${JSON.stringify(scope)}`);
        const name = values.name ?? 'unnamed';
        if (name.length < 1 || name.length > 100) throw new UsageError('--name must be 1-100 characters');
        const { key, record } = generateApiKey(scopes as ApiScope[], name, Date.now());
        await access.createKey(record);
        io.out(values.json ? JSON.stringify({ id: record.id, key, scopes: record.scopes, name }) : key);
        if (!values.json) io.err(`key ${record.id} (${record.scopes.join(', ')}) "${name}": shown once, keep it`);
        return 0;
      }
      if (action === 'list') {
        const keys = await access.listKeys();
        if (values.json) io.out(JSON.stringify(keys));
        else
          for (const key of keys)
            io.out(
              `${key.id}  ${key.scopes.join(',').padEnd(24)}  ${new Date(key.createdAt).toISOString()}  ${key.name}`,
            );
        return 0;
      }
      const id = positionals[0];
      if (!id || positionals.length > 1) throw new UsageError('expected exactly one key ID');
      if (!(await access.revokeKey(id))) {
        io.err(`tide keys: no key ${JSON.stringify(id)}`);
        return 1;
      }
      io.out(`revoked ${id}`);
      return 0;
    } finally {
      await access.close();
    }
  },
};
