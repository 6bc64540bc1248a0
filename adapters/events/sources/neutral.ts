/** The source registry's entries that belong to no cloud (adapters/events/registry.ts). */
import { looksLikeAlertmanager, parseAlertmanager } from '../alertmanager.ts';
import { looksLikeCloudEvent, parseCloudEvent } from '../cloudevents.ts';
import { parseTideTick } from '../schedule-tick.ts';
import { objectWith, type EventSource } from '../registry.ts';

/**
 * The formats of no one cloud, read by every function: Alertmanager webhooks, Tide's CloudEvents, the tick
 * body. Last in detection order (a CloudEvent is recognised only after the clouds' own envelopes).
 */
export const NEUTRAL_SOURCES: readonly EventSource[] = [
  {
    name: 'alertmanager',
    summary: 'Prometheus Alertmanager webhook, version 4',
    detect: objectWith(looksLikeAlertmanager),
    parse: parseAlertmanager,
  },
  {
    name: 'cloudevents',
    summary: "Tide's CloudEvents 1.0 job events (dev.tide.job.*)",
    detect: objectWith(looksLikeCloudEvent),
    parse: parseCloudEvent,
  },
  {
    name: 'tide-tick',
    summary: 'Tide tick body {"tide":"schedule-tick",…} (EventBridge Scheduler, Cloud Scheduler)',
    detect: objectWith((p) => p.tide === 'schedule-tick'),
    parse: parseTideTick,
  },
];
