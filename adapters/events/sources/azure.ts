/** The source registry's Azure entries (adapters/events/registry.ts). */
import { looksLikeAzureMonitor, parseAzureMonitor } from '../azure/monitor.ts';
import { looksLikeEventGrid, parseEventGrid } from '../azure/eventgrid.ts';
import { looksLikeScheduledEvents, parseScheduledEvents } from '../azure/scheduled-events.ts';
import { looksLikeTimerInfo, parseTimerInfo } from '../azure/timer.ts';
import { objectWith, type EventSource } from '../registry.ts';

/** Azure's payload formats (Monitor alerts, Event Grid, Scheduled Events, timer), in detection order. */
export const AZURE_SOURCES: readonly EventSource[] = [
  {
    name: 'azure-monitor',
    summary: 'Azure Monitor alert, common alert schema (metric and log, fired/resolved)',
    detect: objectWith(looksLikeAzureMonitor),
    parse: parseAzureMonitor,
  },
  {
    name: 'azure-eventgrid',
    summary:
      'Event Grid (Event Grid or CloudEvents schema): validation handshake, Azure ML run status, dev.tide.* events',
    detect: looksLikeEventGrid,
    parse: parseEventGrid,
  },
  {
    name: 'azure-scheduled-events',
    summary: 'Azure Scheduled Events document (Preempt), as forwarded by a node agent',
    detect: objectWith(looksLikeScheduledEvents),
    parse: parseScheduledEvents,
  },
  {
    name: 'azure-timer',
    summary: 'Azure Functions TimerInfo (tick at the receive time)',
    detect: objectWith(looksLikeTimerInfo),
    parse: parseTimerInfo,
  },
];
