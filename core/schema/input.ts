import { object, type infer as Infer, type input as Input } from 'zod';
import { TimestampSchema } from './common.ts';
import { MemorySchema } from './memory.ts';
import { PolicySchema } from './policy.ts';
import { SignalSchema } from './signal.ts';
import { ObservedCapacitySchema, TargetSchema } from './target.ts';

/**
 * Everything `decide` needs, as a document: what `tide decide --input FILE` reads and what the shell builds
 * from Redis and the provider. `observed` may be null (the provider could not be read): the core then holds.
 */
export const DecisionInputSchema = object({
  now: TimestampSchema,
  signal: SignalSchema,
  target: TargetSchema,
  policy: PolicySchema.prefault({}),
  observed: ObservedCapacitySchema.nullable().default(null),
  memory: MemorySchema.optional(),
});
export type DecisionInput = Infer<typeof DecisionInputSchema>;
export type DecisionInputDocument = Input<typeof DecisionInputSchema>;
