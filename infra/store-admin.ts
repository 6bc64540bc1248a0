/**
 * Load a target and its policy into the deployed state store, and read back what shadow mode decided.
 * Uses the same environment as the function (`UPSTASH_REDIS_REST_URL`/`_TOKEN` or `REDIS_URL`, and
 * `TIDE_DEPLOYMENT`, which must match the stage's), so it writes exactly where the function reads.
 *
 *   npx tsx infra/store-admin.ts put infra/examples/llama-endpoint.target.json infra/examples/llama-endpoint.policy.json
 *   npx tsx infra/store-admin.ts list
 *   npx tsx infra/store-admin.ts audit llama-endpoint [--limit 20]
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseDocument } from '../core/errors.ts';
import { PolicySchema } from '../core/schema/policy.ts';
import { TargetSchema } from '../core/schema/target.ts';
import type { AuditEntry, StateStore } from '../adapters/ports/state-store.ts';
import { createStateStoreFromEnv } from '../adapters/state/index.ts';

/** What `put` wrote. */
export interface PutResult {
  targetId: string;
  targetVersion: number;
  policyVersion: number;
}

/**
 * Validate a target and a policy document (JSON values) and write both. Throws `ValidationError` naming
 * every bad field before anything is written.
 */
export async function putTargetAndPolicy(
  store: StateStore,
  targetDoc: unknown,
  policyDoc: unknown,
): Promise<PutResult> {
  const target = parseDocument(TargetSchema, targetDoc, 'target');
  if (!target.ok) throw target.error;
  const policy = parseDocument(PolicySchema, policyDoc, 'policy');
  if (!policy.ok) throw policy.error;
  const targetVersion = await store.putTarget(target.value);
  const policyVersion = await store.putPolicy(target.value.id, policy.value);
  return { targetId: target.value.id, targetVersion, policyVersion };
}

/** One audit entry in a line: when, what came in, what Tide would have done and why. */
export function formatAuditEntry(entry: AuditEntry): string {
  const actions = entry.actions
    .map((action) => ('to' in action ? `${action.type} ${action.poolId} ${action.from}->${action.to}` : action.type))
    .join(', ');
  const why =
    entry.actions.length > 0
      ? entry.reasons.join(' | ')
      : entry.holds.map((hold) => `${hold.rule}: ${hold.reason}`).join(' | ');
  return `${new Date(entry.at).toISOString()}  ${entry.signal.detail}  ${entry.outcome} ${entry.currentCapacity}->${entry.desiredCapacity}${actions ? `  [${actions}]` : ''}  ${why}`;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const logger = {
    info: (message: string) => console.error(message),
    warn: (message: string) => console.error(`warning: ${message}`),
  };
  const store = createStateStoreFromEnv(process.env, logger);
  try {
    if (command === 'put' && rest.length === 2) {
      const [targetDoc, policyDoc] = await Promise.all(
        rest.map(async (file) => JSON.parse(await readFile(file!, 'utf8')) as unknown),
      );
      console.log(JSON.stringify(await putTargetAndPolicy(store, targetDoc, policyDoc)));
      return 0;
    }
    if (command === 'list' && rest.length === 0) {
      for (const id of await store.listTargets()) console.log(id);
      return 0;
    }
    if (command === 'audit' && rest.length >= 1) {
      const limitAt = rest.indexOf('--limit');
      const limit = limitAt >= 0 ? Number(rest[limitAt + 1]) : 20;
      const page = await store.readAudit(rest[0]!, { limit });
      for (const entry of page.entries) console.log(formatAuditEntry(entry));
      return 0;
    }
    console.error('usage: store-admin.ts put TARGET.json POLICY.json | list | audit TARGET_ID [--limit N]');
    return 2;
  } finally {
    await store.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`${error.name}: ${error.message}`);
      process.exit(1);
    },
  );
}
