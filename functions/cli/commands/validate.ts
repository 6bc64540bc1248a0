import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PolicySchema, formatProblem, parseDocument } from '../../../core/index.ts';
import { UsageError, type CliCommand } from '../command.ts';
import { readJsonDocument } from '../read-document.ts';

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'check a policy document and print every error',
  usage: 'tide validate FILE            (JSON policy document; "-" reads standard input)',
  async run(args, io) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError('expected exactly one FILE');
    const document = await readJsonDocument(file, readFile);
    const result = parseDocument(PolicySchema, document, 'policy');
    if (result.ok) {
      io.out(`${file}: valid policy`);
      return 0;
    }
    io.err(`${file}: ${result.error.problems.length} error(s)`);
    for (const problem of result.error.problems) io.err(`  ${formatProblem(problem)}`);
    return 2;
  },
};
