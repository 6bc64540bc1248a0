import { createRandom } from '../../../../adapters/fake-cloud/random.ts';
import { isRetryable } from '../../../../adapters/state/errors.ts';
import type { Shell, ShellResult, TargetSignal } from '../../../../functions/shell/shell.ts';
import { metricSignal } from './fakes.ts';

export interface GeneratedEvents {
  /** Every distinct event once, in generation order. */
  distinct: TargetSignal[];
  /** What the platform delivers: the distinct events plus copies, shuffled. */
  deliveries: TargetSignal[];
}

/**
 * `total` deliveries over `targets` targets, a `duplicateShare` of them redeliveries of earlier events,
 * all in random order. Metric values are spread over 0-100 so a decide acts on some and holds on others.
 */
export function generateEvents(options: {
  seed: number;
  total: number;
  targets: number;
  duplicateShare: number;
  now: number;
}): GeneratedEvents {
  const random = createRandom(options.seed).next;
  const distinctCount = Math.round(options.total * (1 - options.duplicateShare));
  const distinct: TargetSignal[] = [];
  for (let i = 0; i < distinctCount; i++) {
    const targetId = `target-${Math.floor(random() * options.targets)}`;
    const observedAt = options.now - 120_000 + i * 50;
    distinct.push({ targetId, signal: metricSignal(`evt-${i}`, Math.round(random() * 100), observedAt) });
  }
  const deliveries = [...distinct];
  while (deliveries.length < options.total) deliveries.push(distinct[Math.floor(random() * distinct.length)]!);
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
  }
  return { distinct, deliveries };
}

export interface RunReport {
  /** Every successful result, per event id. */
  results: Map<string, ShellResult[]>;
  /** Retryable failures, by error name (each one was delivered again). */
  retried: Record<string, number>;
  /** Non-retryable failures (should be none). */
  failed: { event: TargetSignal; error: unknown }[];
  deliveries: number;
}

/**
 * Deliver events as an at-least-once platform does, through `instances` concurrent function instances:
 * each takes the next delivery; a retryable failure goes back on the queue after `redeliverAfterMs`.
 */
export async function deliverAll(options: {
  shells: Shell[];
  deliveries: TargetSignal[];
  redeliverAfterMs?: number;
  /** Called before each delivery; may wait (e.g. while a test restarts Redis). */
  beforeDelivery?: () => Promise<void> | void;
  /** Called on each retryable failure, as it happens (a test can wait for the first one). */
  onRetry?: (error: Error) => void;
}): Promise<RunReport> {
  const queue = [...options.deliveries];
  const report: RunReport = { results: new Map(), retried: {}, failed: [], deliveries: 0 };
  let waiting = 0; // deliveries scheduled for redelivery
  const worker = async (shell: Shell) => {
    for (;;) {
      const event = queue.shift();
      if (!event) {
        if (waiting === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      await options.beforeDelivery?.();
      report.deliveries += 1;
      try {
        const result = await shell.handle(event);
        const list = report.results.get(result.eventId) ?? [];
        list.push(result);
        report.results.set(result.eventId, list);
      } catch (error) {
        if (!isRetryable(error)) {
          report.failed.push({ event, error });
          continue;
        }
        const name = (error as Error).name;
        report.retried[name] = (report.retried[name] ?? 0) + 1;
        options.onRetry?.(error as Error);
        waiting += 1;
        setTimeout(() => {
          waiting -= 1;
          queue.push(event);
        }, options.redeliverAfterMs ?? 5);
      }
    }
  };
  await Promise.all(options.shells.map(worker));
  return report;
}
