import type { Signal } from '../../core/schema/signal.ts';
import type { CapacityType } from '../../core/schema/target.ts';

/**
 * A stockout or quota error the provider reported while creating capacity for a pool (an instance's last
 * attempt, an operation's error). The runtime turns each into a `capacity-error` signal for the next
 * decision, so spot replacement can pick another pool (Ray's "errors as data").
 */
export interface CapacityErrorReport {
  poolId: string;
  instanceType: string;
  capacityType: CapacityType;
  code: string;
  message: string;
  zone?: string;
}

/**
 * The `capacity-error` signal for a report from `provider`'s compute API, observed at `now` (epoch ms). Its event
 * id is per pool, code and minute, so the same stockout seen by several ticks in a minute is decided once.
 */
export function capacityErrorSignal(report: CapacityErrorReport, now: number, provider: 'gcp' | 'azure'): Signal {
  return {
    kind: 'capacity-error',
    poolId: report.poolId,
    instanceType: report.instanceType,
    capacityType: report.capacityType,
    ...(report.zone ? { zone: report.zone } : {}),
    code: report.code,
    message: report.message.slice(0, 500),
    observedAt: now,
    source: `${provider}-compute`,
    eventId: `${provider}-capacity:${report.poolId}:${report.code}:${Math.floor(now / 60_000)}`,
  };
}
