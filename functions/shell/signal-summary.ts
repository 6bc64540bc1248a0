import type { Signal } from '../../core/schema/signal.ts';
import type { SignalSummary } from '../../adapters/ports/state-store.ts';

/** One line saying what the signal was, for the audit log. */
export function summarizeSignal(signal: Signal): SignalSummary {
  return { kind: signal.kind, source: signal.source, observedAt: signal.observedAt, detail: detailOf(signal) };
}

function detailOf(signal: Signal): string {
  switch (signal.kind) {
    case 'metric':
      return `${signal.metric} = ${signal.value}${signal.unit ? ` ${signal.unit}` : ''}`;
    case 'metric-failure':
      return `${signal.metric} unavailable: ${signal.error}`;
    case 'alarm':
      return `alarm ${signal.alarmName} ${signal.previousState ? `${signal.previousState} -> ` : ''}${signal.state}`;
    case 'schedule-tick':
      return `schedule tick${signal.schedule ? ` ${signal.schedule}` : ''}`;
    case 'manual-override':
      return signal.capacity === null
        ? `override cancelled: ${signal.reason}`
        : `override to ${signal.capacity} until ${new Date(signal.expiresAt).toISOString()}: ${signal.reason}`;
    case 'spot-interruption':
      return `spot ${signal.action} of ${signal.instanceId} at ${new Date(signal.deadlineAt).toISOString()}`;
    case 'rebalance-recommendation':
      return `rebalance recommendation for ${signal.instanceId}`;
    case 'capacity-error':
      return `${signal.code} in pool ${signal.poolId} (${signal.capacityType})`;
    case 'job':
      return `job ${signal.jobId} ${signal.event}`;
  }
}
