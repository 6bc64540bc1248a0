/** The neutral payload formats without their parsers (./neutral.ts adds them; ./neutral-lazy.ts loads them on demand). */
import { looksLikeAlertmanager, looksLikeCloudEvent } from '../detect.ts';
import { objectWith, type EventFormat } from '../registry.ts';

/**
 * The formats of no one cloud, read by every function: Alertmanager webhooks, Tide's CloudEvents, the tick
 * body. Last in detection order (a CloudEvent is recognised only after the clouds' own envelopes).
 */
export const NEUTRAL_FORMATS = [
  {
    name: 'alertmanager',
    summary: 'Prometheus Alertmanager webhook, version 4',
    detect: objectWith(looksLikeAlertmanager),
  },
  {
    name: 'cloudevents',
    summary: "Tide's CloudEvents 1.0 job events (dev.tide.job.*)",
    detect: objectWith(looksLikeCloudEvent),
  },
  {
    name: 'tide-tick',
    summary: 'Tide tick body {"tide":"schedule-tick",…} (EventBridge Scheduler, Cloud Scheduler)',
    detect: objectWith((p) => p.tide === 'schedule-tick'),
  },
] as const satisfies readonly EventFormat[];

/** The name of one of the neutral formats. */
export type NeutralFormatName = (typeof NEUTRAL_FORMATS)[number]['name'];
