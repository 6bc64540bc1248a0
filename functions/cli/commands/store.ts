/**
 * `tide store …`: load targets and policies into the deployed state store, and read back what Tide decided.
 * It uses the same environment as the function (`UPSTASH_REDIS_REST_URL`/`_TOKEN` or `REDIS_URL`, and
 * `TIDE_DEPLOYMENT`, which must match the stage's), so it writes exactly where the function reads.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatProblem, parseDocument, PolicySchema, ValidationError } from '../../../core/index.ts';
import { policyProblemsForTarget, TargetSchema } from '../../../core/schema/target.ts';
import type { AuditEntry, StateStore } from '../../../adapters/ports/state-store.ts';
import { createStateStore } from '../../../adapters/state/index.ts';
import { stateConfigFromEnv } from '../../../adapters/state/config.ts';
import { UsageError, type CliCommand, type CliIo } from '../command.ts';
import { readJsonDocument } from '../read-document.ts';
import { terminalSafe } from '../read-input.ts';

/** What `put` wrote. */
export interface PutResult {
  targetId: string;
  targetVersion: number;
  policyVersion: number;
}

/**
 * Validate a target and a policy document (JSON values), and the policy against the target, then write both.
 * Throws `ValidationError` naming every bad field before anything is written.
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
  const mismatch = policyProblemsForTarget(policy.value, target.value);
  if (mismatch.length > 0) throw new ValidationError('policy', mismatch);
  const targetVersion = await store.putTarget(target.value);
  const policyVersion = await store.putPolicy(target.value.id, policy.value);
  return { targetId: target.value.id, targetVersion, policyVersion };
}

/**
 * What became of the actions, e.g. `=> set-capacity done, launch-capacity failed (InsufficientCapacityError:
 * …)`, or `=> no results recorded yet` (actions not run yet, or their invocation died before recording them).
 */
function formatResults(entry: AuditEntry): string {
  if (entry.actions.length === 0) return '';
  if (!entry.results) return '  => no results recorded yet';
  const results = entry.results.map((result) => {
    const error = result.error ? ` (${terminalSafe(`${result.error.name}: ${result.error.message}`, 160)})` : '';
    return `${result.type} ${result.status}${error}`;
  });
  return `  => ${results.join(', ')}`;
}

/** One audit entry in a line: when, what came in, what Tide decided and why, and what became of the actions. */
export function formatAuditEntry(entry: AuditEntry): string {
  const actions = entry.actions
    .map((action) => ('to' in action ? `${action.type} ${action.poolId} ${action.from}->${action.to}` : action.type))
    .join(', ');
  const why =
    entry.actions.length > 0
      ? entry.reasons.join(' | ')
      : entry.holds.map((hold) => `${hold.rule}: ${hold.reason}`).join(' | ');
  return `${new Date(entry.at).toISOString()}  ${entry.signal.detail}  ${entry.outcome} ${entry.currentCapacity}->${entry.desiredCapacity}${actions ? `  [${actions}]` : ''}  ${why}${formatResults(entry)}`;
}

/** Opens the store a command works on; the default reads the environment. */
export type OpenStore = (io: CliIo) => StateStore;

/**
 * The deployed store from the environment. An unconfigured environment would give the in-memory store, whose
 * writes vanish when the command exits: that is a usage error here, not a warning.
 */
export function storeFromEnv(env: Record<string, string | undefined>): OpenStore {
  return (io) => {
    const config = stateConfigFromEnv(env);
    if (config.backend.kind === 'memory') {
      throw new UsageError('no state store configured: set UPSTASH_REDIS_REST_URL and _TOKEN, or REDIS_URL');
    }
    return createStateStore(config, {
      info: (message) => io.err(message),
      warn: (message) => io.err(`warning: ${message}`),
    });
  };
}

const USAGE = [
  'tide store put TARGET.json POLICY.json   validate both (and the policy against the target), then write them',
  'tide store list                          target ids in the store',
  'tide store audit TARGET_ID [--limit N]   the latest decisions, newest first, one line each, with what became of each action (N: 1-100, default 20)',
  '(the store comes from UPSTASH_REDIS_REST_URL/_TOKEN or REDIS_URL, and TIDE_DEPLOYMENT, as the function reads them)',
].join('\n');

async function runSubcommand(store: StateStore, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { limit: { type: 'string', default: '20' } },
  });
  const [subcommand, ...rest] = positionals;
  if (subcommand === 'put' && rest.length === 2) {
    const [targetDoc, policyDoc] = await Promise.all(rest.map((file) => readJsonDocument(file, readFile)));
    io.out(JSON.stringify(await putTargetAndPolicy(store, targetDoc, policyDoc)));
    return 0;
  }
  if (subcommand === 'list' && rest.length === 0) {
    for (const id of await store.listTargets()) io.out(id);
    return 0;
  }
  if (subcommand === 'audit' && rest.length === 1) {
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new UsageError(`--limit must be an integer from 1 to 100, was: ${JSON.stringify(values.limit)}`);
    }
    const page = await store.readAudit(rest[0]!, { limit });
    for (const entry of page.entries) io.out(formatAuditEntry(entry));
    return 0;
  }
  throw new UsageError(
    subcommand ? `unknown or incomplete subcommand "${positionals.join(' ')}"` : 'expected a subcommand',
  );
}

/** `tide store` over the given store opener (tests pass one over a test Redis or memory). */
export function createStoreCommand(openStore: OpenStore = storeFromEnv(process.env)): CliCommand {
  return {
    name: 'store',
    usage: USAGE,
    async run(args, io) {
      const store = openStore(io);
      try {
        return await runSubcommand(store, args, io);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        io.err(`invalid ${error.documentName}: ${error.problems.length} error(s); nothing was written`);
        for (const problem of error.problems) io.err(`  ${formatProblem(problem)}`);
        return 2;
      } finally {
        await store.close();
      }
    },
  };
}

export const storeCommand = createStoreCommand();
