import type { ExchangeOverride } from '../../core/calendars/types.ts';
import {
  DecisionInputSchema,
  PolicySchema,
  type DecisionInput,
  type Memory,
  type PolicyInput,
  type Signal,
  type SignalInput,
} from '../../core/index.ts';

/** 2026-03-02 (a Monday) 14:00:00 UTC, a time with no plan in the default policy. */
export const T0 = Date.parse('2026-03-02T14:00:00Z');
export const sec = (s: number) => s * 1000;

export function policy(overrides: PolicyInput = {}) {
  return PolicySchema.parse(overrides);
}

export function metric(name: string, value: number, at: number): Signal {
  return { kind: 'metric', metric: name, value, observedAt: at, source: 'test' };
}

export function tick(at: number): Signal {
  return { kind: 'schedule-tick', observedAt: at, source: 'test' };
}

export interface InputOptions {
  now?: number;
  signal?: SignalInput;
  policy?: PolicyInput;
  desired?: number;
  ready?: number;
  memory?: Memory;
  observedAt?: number;
  exchangeOverrides?: ExchangeOverride[];
}

/** A decision input for a one-pool on-demand inference endpoint, with everything defaulted. */
export function input(options: InputOptions = {}): DecisionInput {
  const now = options.now ?? T0;
  const desired = options.desired ?? 2;
  const ready = options.ready ?? desired;
  return DecisionInputSchema.parse({
    now,
    signal: options.signal ?? { kind: 'schedule-tick', observedAt: now, source: 'test' },
    target: {
      id: 'llm-endpoint',
      kind: 'inference-endpoint',
      provider: 'aws',
      region: 'us-east-1',
      pools: [{ id: 'primary', instanceType: 'ml.g5.2xlarge', capacityType: 'on-demand' }],
    },
    policy: options.policy ?? {},
    observed: {
      observedAt: options.observedAt ?? now,
      pools: [
        {
          poolId: 'primary',
          instanceType: 'ml.g5.2xlarge',
          capacityType: 'on-demand',
          desired,
          ready,
          pending: desired - ready,
        },
      ],
    },
    ...(options.memory ? { memory: options.memory } : {}),
    ...(options.exchangeOverrides ? { exchangeOverrides: options.exchangeOverrides } : {}),
  });
}
