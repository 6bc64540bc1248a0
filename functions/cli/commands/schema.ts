import { parseArgs } from 'node:util';
import { DecisionInputSchema, PolicySchema, SignalSchema, TargetSchema } from '../../../core/index.ts';
import { jsonSchemaOf, markdownReference } from '../../../tools/docs/schema-reference.ts';
import { UsageError, type CliCommand } from '../command.ts';

const DOCUMENTS = {
  policy: PolicySchema,
  target: TargetSchema,
  signal: SignalSchema,
  'decision-input': DecisionInputSchema,
} as const;

export const schemaCommand: CliCommand = {
  name: 'schema',
  usage: 'tide schema [policy|target|signal|decision-input] [--markdown]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { markdown: { type: 'boolean', default: false } },
    });
    const name = (positionals[0] ?? 'policy') as keyof typeof DOCUMENTS;
    const schema = DOCUMENTS[name];
    if (!schema)
      throw new UsageError(`unknown document "${name}"; expected one of ${Object.keys(DOCUMENTS).join(', ')}`);
    io.out(values.markdown ? markdownReference(schema) : JSON.stringify(jsonSchemaOf(schema), null, 2));
    return 0;
  },
};
