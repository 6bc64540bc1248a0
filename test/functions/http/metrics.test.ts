/**
 * The metrics load prom-client at their first use (functions/http/metrics.ts): what is recorded before it has
 * loaded must reach /metrics all the same, in order, and the queue stays bounded.
 */
import { describe, expect, it } from 'vitest';
import { createApiMetrics } from '../../../functions/http/metrics.ts';

describe('metrics loaded at first use', () => {
  it('keeps what was recorded before prom-client loaded, and records directly after', async () => {
    const metrics = createApiMetrics();
    metrics.decisions.inc({ outcome: 'scale-out' });
    metrics.decisions.inc({ outcome: 'scale-out' }, 2);
    metrics.desiredCapacity.set({ target: 'llm' }, 3);
    metrics.desiredCapacity.set({ target: 'llm' }, 5);
    metrics.eventSeconds.observe({ source: 'aws-sqs' }, 0.004);
    metrics.observed('gpu', { pools: [{ poolId: 'p', capacityType: 'spot', desired: 4, ready: 2 }] } as never, 7.5);
    const registry = await metrics.registry();
    metrics.webhookRejections.inc({ reason: 'too-large' });
    const text = await registry.metrics();
    expect(text).toContain('tide_decisions_total{outcome="scale-out"} 3');
    expect(text).toContain('tide_desired_capacity{target="llm"} 5');
    expect(text).toContain('tide_event_handling_seconds_count{source="aws-sqs"} 1');
    expect(text).toContain('tide_desired_capacity{target="gpu"} 4');
    expect(text).toContain('tide_ready_capacity{target="gpu"} 2');
    expect(text).toContain('tide_cost_usd_per_hour{target="gpu"} 7.5');
    expect(text).toContain('tide_webhook_rejections_total{reason="too-large"} 1');
  });

  it('keeps two apps apart and one bad call from costing the others their record', async () => {
    const one = createApiMetrics();
    const two = createApiMetrics();
    one.actions.inc({ type: 'set-capacity' });
    one.actions.inc({ type: 'set-capacity' }, -1);
    one.actions.inc({ type: 'set-capacity' });
    expect(await (await one.registry()).metrics()).toContain('tide_actions_total{type="set-capacity"} 2');
    expect(await (await two.registry()).metrics()).not.toContain('tide_actions_total{type="set-capacity"}');
  });
});
