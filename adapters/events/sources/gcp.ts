/** The source registry's Google Cloud entries (adapters/events/registry.ts). */
import { looksLikeCloudEvent } from '../cloudevents.ts';
import { looksLikeAuditLog, parseAuditLog } from '../gcp/audit-log.ts';
import { parseEventarc } from '../gcp/eventarc.ts';
import { looksLikeMonitoring, parseMonitoring } from '../gcp/monitoring.ts';
import { looksLikePubSub, parsePubSub } from '../gcp/pubsub.ts';
import { parseCloudScheduler } from '../gcp/scheduler.ts';
import { looksLikeVertexJob, parseVertexJob } from '../gcp/vertex.ts';
import { objectWith, type EventSource } from '../registry.ts';

/** Google Cloud's payload formats (Pub/Sub and Eventarc envelopes, Monitoring, audit logs, Vertex AI, Scheduler), in detection order. */
export const GCP_SOURCES: readonly EventSource[] = [
  {
    name: 'gcp-pubsub',
    summary: 'Pub/Sub push (base64 data: incident, audit-log entry, Vertex job, tick or CloudEvent)',
    detect: objectWith(looksLikePubSub),
    parse: parsePubSub,
  },
  {
    name: 'gcp-eventarc',
    summary: 'Eventarc CloudEvent (structured): Pub/Sub messagePublished or audit log written',
    detect: objectWith((p) => looksLikeCloudEvent(p) && String(p.type).startsWith('google.cloud.')),
    parse: parseEventarc,
  },
  {
    name: 'gcp-monitoring',
    summary: 'Cloud Monitoring webhook, schema version 1.2 (incident open/closed)',
    detect: objectWith(looksLikeMonitoring),
    parse: parseMonitoring,
  },
  {
    name: 'gcp-audit-log',
    summary: 'Cloud Audit Logs entry compute.instances.preempted',
    detect: objectWith(looksLikeAuditLog),
    parse: parseAuditLog,
  },
  {
    name: 'gcp-vertex',
    summary: 'Vertex AI CustomJob resource (state and worker pools)',
    detect: objectWith(looksLikeVertexJob),
    parse: parseVertexJob,
  },
  {
    name: 'gcp-scheduler',
    summary: 'Cloud Scheduler tick (Pub/Sub or HTTP target; never auto-detected: any body can be a tick)',
    detect: () => false,
    parse: parseCloudScheduler,
  },
];
