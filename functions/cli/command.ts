/**
 * One `tide` sub-command. `run` returns the process exit code: 0 ok, 1 failure, 2 bad input or usage. Its
 * one-line summary lives in the list of commands (commands/index.ts), which `tide help` reads without
 * loading any command.
 */
export interface CliCommand {
  name: string;
  /** Usage text shown by `tide help NAME` and on a usage error. */
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** Where a command writes; tests pass a recording one. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is a terminal (progress bars, colours). */
  isTty: boolean;
}

// `tide decide … | head -1`: the reader went away; that is the end of the output, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  isTty: Boolean(process.stdout.isTTY),
};

/** A usage mistake (unknown flag, missing file): exit code 2 with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
