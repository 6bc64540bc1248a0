import { decide } from '../../core/decide.ts';
import type { Decision, DecisionInput } from '../../core/index.ts';

/**
 * Inputs of one on-demand pool `primary` (ml.g5.2xlarge) fed one `metric` sample every 10 s from `start`: input
 * `i` carries `value(i)` and the memory and capacity of the decision before it (`desired` at first), so each
 * builder's inputs are the ones `decide` itself chained. Shared by the decide bench's variants and the golden
 * replay (tools/bench/decide-inputs.ts, tools/bench/plans-inputs.ts).
 */
export function chainMetricInputs(
  template: DecisionInput,
  options: { start: number; steps: number; metric: string; value: (i: number) => number; desired: number },
): DecisionInput[] {
  const { start, steps, metric, value } = options;
  let memory: Decision['memory'] | undefined;
  let desired = options.desired;
  const inputs: DecisionInput[] = [];
  for (let i = 0; i < steps; i += 1) {
    const now = start + i * 10_000;
    const input: DecisionInput = {
      ...template,
      now,
      signal: { kind: 'metric', metric, value: value(i), observedAt: now, source: 'bench' },
      observed: {
        observedAt: now,
        pools: [
          {
            poolId: 'primary',
            instanceType: 'ml.g5.2xlarge',
            capacityType: 'on-demand',
            desired,
            ready: desired,
            pending: 0,
          },
        ],
      },
      ...(memory ? { memory } : {}),
    };
    const decision = decide(input);
    memory = decision.memory;
    desired = decision.desiredCapacity;
    inputs.push(input);
  }
  return inputs;
}
