import type { CliCommand } from '../command.ts';
import { calendarsCommand } from './calendars.ts';
import { decideCommand } from './decide.ts';
import { keysCommand } from './keys.ts';
import { schemaCommand } from './schema.ts';
import { serveCommand } from './serve.ts';
import { parseCommand } from './parse.ts';
import { simulateCommand } from './simulate.ts';
import { storeCommand } from './store.ts';
import { validateCommand } from './validate.ts';

/** Every `tide` sub-command. Add a command by adding its module here. */
export const COMMANDS: CliCommand[] = [
  serveCommand,
  decideCommand,
  schemaCommand,
  parseCommand,
  validateCommand,
  simulateCommand,
  storeCommand,
  calendarsCommand(),
  keysCommand,
];
