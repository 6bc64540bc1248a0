import type { CliCommand } from '../command.ts';

/**
 * One `tide` sub-command as `tide help` lists it: its name and one line, and how to load it. The command's
 * module (its usage and `run`) is imported only when the command is run or its help is asked for, so `tide
 * help` loads none of them (the bundle splits each into its own chunk: tools/cli/build.mjs).
 */
export interface CommandEntry {
  name: string;
  /** One line for `tide help`. */
  summary: string;
  load(): Promise<CliCommand>;
}

/** Every `tide` sub-command. Add a command by adding its module here. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'run the API, webhooks and scheduled tick locally (npm start: with --demo)',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'decide',
    summary: 'print the decision for a recorded input (actions, new memory, reasons)',
    load: async () => (await import('./decide.ts')).decideCommand,
  },
  {
    name: 'schema',
    summary: 'print the JSON Schema (or a Markdown reference) of a document: policy, target, signal, decision-input',
    load: async () => (await import('./schema.ts')).schemaCommand,
  },
  {
    name: 'parse',
    summary: 'print the signals a provider payload yields (or the typed error)',
    load: async () => (await import('./parse.ts')).parseCommand,
  },
  {
    name: 'validate',
    summary: 'check a policy, target or exchange-closure document and print every error',
    load: async () => (await import('./validate.ts')).validateCommand,
  },
  {
    name: 'simulate',
    summary: 'replay a request trace: Tide vs static-peak, HPA, AWS target tracking, KEDA, Knative',
    load: async () => (await import('./simulate.ts')).simulateCommand,
  },
  {
    name: 'store',
    summary: 'load targets and policies into the deployed state store; list them; read the decision audit',
    load: async () => (await import('./store.ts')).storeCommand,
  },
  {
    name: 'calendars',
    summary: 'exchange sessions, and recorded closures or changed hours',
    load: async () => (await import('./calendars.ts')).calendarsCommand(),
  },
  {
    name: 'keys',
    summary: 'create, list and revoke API keys',
    load: async () => (await import('./keys.ts')).keysCommand,
  },
];
