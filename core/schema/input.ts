import { number, strictObject, type infer as Infer, type input as Input } from 'zod';
import { TimestampSchema } from './common.ts';
import { ExchangeOverridesSchema } from './exchange-override.ts';
import { MemorySchema } from './memory.ts';
import { PolicySchema } from './policy.ts';
import { SignalSchema } from './signal.ts';
import { ObservedCapacitySchema, TargetSchema } from './target.ts';

/**
 * Everything `decide` needs, as a document: what `tide decide --input FILE` reads and what the shell builds
 * from Redis and the provider. `observed` may be null (the provider could not be read): the core then holds.
 */
export const DecisionInputSchema = strictObject({
  now: TimestampSchema,
  signal: SignalSchema,
  target: TargetSchema,
  policy: PolicySchema.prefault({}),
  observed: ObservedCapacitySchema.nullable().default(null),
  memory: MemorySchema.optional(),
  /**
   * Current spend of the target's whole group (`target.group`), this target included, which the core cannot
   * read itself: the shell sums what each member recorded at its last commit (functions/shell/group-spend.ts). Needed only for the policy's group spend caps.
   */
  /**
   * Closures and changed hours operators recorded for the exchanges (`tide calendars close`): the shell
   * loads them with the target's state, in the same round trip. Plans following or excluding an exchange
   * obey them.
   */
  exchangeOverrides: ExchangeOverridesSchema.optional(),
  groupSpend: strictObject({
    /** Estimated spend rate of the whole group now, USD per hour. */
    usdPerHour: number().nonnegative(),
    /** What the whole group spent over the last 24 h, USD. */
    usdLastDay: number().nonnegative().default(0),
  }).optional(),
});
export type DecisionInput = Infer<typeof DecisionInputSchema>;
export type DecisionInputDocument = Input<typeof DecisionInputSchema>;
