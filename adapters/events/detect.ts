/**
 * How the neutral formats are recognised (`auto`), apart from their parsers (see ./aws/detect.ts for why).
 */

/** Whether the payload looks like an Alertmanager webhook (for `auto`). */
export function looksLikeAlertmanager(payload: Record<string, unknown>): boolean {
  return payload.version === '4' && Array.isArray(payload.alerts);
}

/** Whether the payload is a structured CloudEvent (for `auto`). */
export function looksLikeCloudEvent(payload: Record<string, unknown>): boolean {
  return payload.specversion === '1.0' && typeof payload.type === 'string';
}
