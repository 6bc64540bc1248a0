import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PolicySchema, formatProblem, parseDocument, type ValidationProblem } from '../../../core/index.ts';
import { TargetSchema, policyProblemsForTarget } from '../../../core/schema/target.ts';
import { ValidationError } from '../../../core/errors.ts';
import { isExchangeOverrideDocument, parseExchangeOverride } from '../../shell/exchange-calendars.ts';
import { UsageError, type CliCommand } from '../command.ts';
import { readJsonDocument } from '../read-document.ts';

/** A target document is told from a policy by its `pools` (a policy has none). */
function isTargetDocument(document: unknown): boolean {
  return typeof document === 'object' && document !== null && 'pools' in document;
}

export const validateCommand: CliCommand = {
  name: 'validate',
  usage:
    'tide validate FILE [--target TARGET]   (JSON policy, target or exchange closure document; "-" reads standard\n' +
    '                                        input; --target also checks the policy against the target it scales;\n' +
    '                                        a closure {exchange, date, status, reason} is checked against today)',
  async run(args, io) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: { target: { type: 'string' } },
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError('expected exactly one FILE');
    const document = await readJsonDocument(file, readFile);
    const problems: ValidationProblem[] = [];
    let kind: 'policy' | 'target' | 'exchange closure' = 'policy';
    if (isExchangeOverrideDocument(document)) {
      kind = 'exchange closure';
      try {
        parseExchangeOverride(document, Date.now());
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        problems.push(...error.problems);
      }
    } else if (isTargetDocument(document)) {
      if (values.target) throw new UsageError('--target goes with a policy FILE, and FILE is a target document');
      kind = 'target';
      const result = parseDocument(TargetSchema, document, 'target');
      if (!result.ok) problems.push(...result.error.problems);
    } else {
      const result = parseDocument(PolicySchema, document, 'policy');
      if (!result.ok) problems.push(...result.error.problems);
      if (result.ok && values.target) {
        const target = parseDocument(TargetSchema, await readJsonDocument(values.target, readFile), 'target');
        if (!target.ok) {
          io.err(`${values.target}: ${target.error.problems.length} error(s)`);
          for (const problem of target.error.problems) io.err(`  ${formatProblem(problem)}`);
          return 2;
        }
        problems.push(...policyProblemsForTarget(result.value, target.value));
      }
    }
    if (problems.length === 0) {
      io.out(`${file}: valid ${kind}${values.target ? ` for target ${values.target}` : ''}`);
      return 0;
    }
    io.err(`${file}: ${problems.length} error(s)`);
    for (const problem of problems) io.err(`  ${formatProblem(problem)}`);
    return 2;
  },
};
