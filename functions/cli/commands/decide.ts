import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DecisionInputSchema, formatProblem, parseDocument } from '../../../core/index.ts';
import { decide } from '../../../core/decide.ts';
import { UsageError, type CliCommand } from '../command.ts';
import { readJsonDocument } from '../read-document.ts';

function printHuman(decision: ReturnType<typeof decide>, out: (text: string) => void): void {
  out(
    `${decision.targetId} @ ${new Date(decision.at).toISOString()}: ${decision.outcome} ${decision.currentCapacity} -> ${decision.desiredCapacity}${decision.valid ? '' : ' (inputs missing or stale)'}`,
  );
  if (decision.cost)
    out(`cost: $${decision.cost.beforeUsdPerHour.toFixed(2)}/h -> $${decision.cost.afterUsdPerHour.toFixed(2)}/h`);
  out('actions:');
  if (decision.actions.length === 0) out('  (none)');
  for (const action of decision.actions)
    out(
      `  - ${action.type} ${JSON.stringify({ ...action, type: undefined, reason: undefined })}\n      ${action.reason}`,
    );
  out('reasons:');
  for (const reason of decision.reasons) out(`  - ${reason}`);
}

export const decideCommand: CliCommand = {
  name: 'decide',
  usage:
    'tide decide --input FILE [--json]   (FILE: {now, signal, target, policy, observed, memory?}; "-" reads stdin)',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { input: { type: 'string', short: 'i' }, json: { type: 'boolean', default: false } },
    });
    const file = values.input ?? positionals[0];
    if (!file) throw new UsageError('--input FILE is required');
    const document = await readJsonDocument(file, readFile);
    const parsed = parseDocument(DecisionInputSchema, document, 'decision input');
    if (!parsed.ok) {
      io.err(`${file}: ${parsed.error.problems.length} error(s)`);
      for (const problem of parsed.error.problems) io.err(`  ${formatProblem(problem)}`);
      return 2;
    }
    const decision = decide(parsed.value);
    if (values.json) io.out(JSON.stringify(decision, null, 2));
    else {
      printHuman(decision, io.out);
      io.out(`memory: ${JSON.stringify(decision.memory)}`);
    }
    return 0;
  },
};
