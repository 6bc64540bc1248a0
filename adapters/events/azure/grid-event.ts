/** One Event Grid event, whichever schema it came in. */
export interface GridEvent {
  id: string;
  type: string;
  time: number;
  /** `topic` (Event Grid schema) or `source` (CloudEvents): the publishing resource. */
  source: string;
  subject?: string;
  data: unknown;
  /** The event as received (CloudEvents events are handed to the CloudEvents parser as they are). */
  raw: unknown;
}
