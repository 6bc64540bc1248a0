import { processIo, UsageError, type CliIo } from './command.ts';
import { terminalSafe } from './read-input.ts';
import { COMMANDS } from './commands/index.ts';
import { loadCron } from '../../adapters/cron/load.ts';

function help(io: CliIo): void {
  io.out('tide: event-driven autoscaler for ML GPU fleets\n\nUsage: tide COMMAND [options]\n');
  for (const command of COMMANDS) io.out(`  ${command.name.padEnd(10)} ${command.summary}`);
  io.out('\nRun `tide help COMMAND` for the options of one command.');
}

/** Entry point of the `tide` CLI; returns the exit code. */
export async function main(argv: string[], given: CliIo = processIo): Promise<number> {
  // Errors echo input (file names, values, payload fields): each line escaped and bounded for the terminal.
  const io: CliIo = {
    ...given,
    err: (text) =>
      given.err(
        text
          .split('\n')
          .map((line) => terminalSafe(line))
          .join('\n'),
      ),
  };
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const which = COMMANDS.find((command) => command.name === rest[0]);
    if (which) io.out((await which.load()).usage);
    else help(io);
    return 0;
  }
  const entry = COMMANDS.find((candidate) => candidate.name === name);
  if (!entry) {
    io.err(`tide: unknown command "${terminalSafe(name, 100)}"; run \`tide help\` for the commands`);
    help(io); // on standard output: the error itself stays one line on standard error
    return 2;
  }
  // Documents may carry cron lines (core/cron.ts reads them with croner, handed in here).
  await loadCron();
  // So may they follow an exchange's session (the rules, handed in too; loaded here, not at `tide help`).
  await (await import('../../adapters/calendars/load.ts')).loadExchangeCalendars();
  const command = await entry.load();
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`tide ${command.name}: ${terminalSafe((error as Error).message)} (usage: tide help ${command.name})`);
      return 2;
    }
    // One line, no stack: the message says what failed; TIDE_DEBUG=1 shows where.
    const detail = process.env.TIDE_DEBUG
      ? ((error as Error).stack ?? String(error))
      : String((error as Error)?.message ?? error);
    io.err(`tide ${command.name}: ${terminalSafe(detail)}`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
