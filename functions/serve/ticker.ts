/**
 * The scheduled tick `tide serve` runs for itself (the cloud functions get it from their scheduler): what
 * happened in the simulated cloud becomes signals (spot notices, capacity errors), and every target gets a
 * schedule tick, so plans open and close, cooldowns expire and a held scale-in is looked at again; then
 * the cloud's own tick work, where it has some (`--cloud azure`: the operations Tide started are polled and
 * Azure ML moves take their next step, as the Function App's timer does). One tick at a time; a failing target is logged and the others go on.
 */
import type { Signal } from '../../core/schema/signal.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';
import type { CloudEvent } from '../../adapters/fake-cloud/cloud.ts';
import type { ApiMetrics } from '../http/metrics.ts';
import type { Clock } from '../../adapters/ports/clock.ts';
import type { Logger } from '../../adapters/ports/logger.ts';
import type { Shell } from '../shell/shell.ts';
import type { CloudActuators } from './clouds.ts';
import type { MetricSource } from './prometheus-source.ts';

export interface TickerDependencies {
  store: StateStore;
  shell: Shell;
  cloud: CloudActuators;
  clock: Clock;
  logger: Logger;
  metrics: ApiMetrics;
  /** Clock time between schedule ticks, ms (default 60 000: the cloud schedulers' one minute). */
  tickMs?: number;
  /** Metrics read on each schedule tick (Prometheus queries), delivered before the tick itself. */
  metricSource?: MetricSource;
}

/** A cloud event as the signal a provider would send for it; null for what the next observation shows anyway. */
export function signalOfCloudEvent(targetId: string, event: CloudEvent): Signal | null {
  switch (event.kind) {
    case 'spot-notice':
      return {
        kind: 'spot-interruption',
        instanceId: event.instanceId,
        poolId: event.poolId,
        instanceType: event.instanceType,
        action: 'terminate',
        deadlineAt: event.deadlineAt,
        source: 'simulated-cloud',
        observedAt: event.at,
        eventId: `sim:${targetId}:notice:${event.instanceId}`,
      };
    case 'capacity-error':
      return {
        kind: 'capacity-error',
        poolId: event.poolId,
        instanceType: event.instanceType,
        capacityType: event.capacityType,
        code: event.code,
        message: '',
        source: 'simulated-cloud',
        observedAt: event.at,
        eventId: `sim:${targetId}:capacity:${event.poolId}:${event.at}`,
      };
    case 'interrupted':
      return null;
  }
}

export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private lastScheduleTick = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: TickerDependencies) {}

  /** Tick every `everyRealMs` of wall time (the clock may run faster). */
  start(everyRealMs: number): void {
    this.timer = setInterval(() => void this.tick(), everyRealMs);
    this.timer.unref();
  }

  /** Stop ticking and wait for the tick in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One tick (skipped while the previous one runs). */
  tick(): Promise<void> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    const { shell, clock, logger } = this.deps;
    const started = performance.now();
    const deliveries: { targetId: string; signal: Signal }[] = [];
    for (const { targetId, events } of this.deps.cloud.tick?.() ?? []) {
      for (const event of events) {
        const signal = signalOfCloudEvent(targetId, event);
        if (signal) deliveries.push({ targetId, signal });
      }
    }
    const now = clock.now();
    const tickMs = this.deps.tickMs ?? 60_000;
    let scheduleSlot: number | undefined;
    if (now - this.lastScheduleTick >= tickMs) {
      this.lastScheduleTick = now;
      const slot = Math.floor(now / tickMs);
      scheduleSlot = slot;
      try {
        const targetIds = await this.deps.store.listTargets();
        if (this.deps.metricSource) deliveries.push(...(await this.deps.metricSource(targetIds, now, slot)));
        for (const targetId of targetIds) {
          deliveries.push({
            targetId,
            signal: {
              kind: 'schedule-tick',
              schedule: 'tide-serve',
              source: 'tide-serve',
              observedAt: now,
              eventId: `tide-serve-tick:${slot}`,
            },
          });
        }
      } catch (error) {
        logger.warn('serve: tick could not list the targets', { error: (error as Error).message });
      }
    }
    for (const delivery of deliveries) {
      try {
        const result = await shell.handle(delivery);
        if (result.status === 'decided') this.deps.metrics.decisions.inc({ outcome: result.decision.outcome });
      } catch (error) {
        logger.warn('serve: tick delivery failed', {
          targetId: delivery.targetId,
          signal: delivery.signal.kind,
          error: (error as Error).message,
        });
      }
    }
    // The cloud's own tick work after the schedule tick, as the cloud functions' timers order them (Azure:
    // operations started on earlier ticks polled once each). Every call in it is bounded by the adapters.
    if (scheduleSlot !== undefined && this.deps.cloud.scheduledTick) {
      try {
        await this.deps.cloud.scheduledTick(
          { store: this.deps.store, shell, clock, logger },
          `tide-serve-tick:${scheduleSlot}`,
        );
      } catch (error) {
        logger.warn('serve: the cloud tick failed', { error: (error as Error).message });
      }
    }
    if (deliveries.length > 0)
      this.deps.metrics.eventSeconds.observe({ source: 'tide-serve-tick' }, (performance.now() - started) / 1000);
  }
}
