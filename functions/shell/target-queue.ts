/**
 * One delivery at a time per target, in-process: a long-lived process that takes concurrent requests
 * (`tide serve`, an HTTP function instance with concurrency above 1) hands every delivery for a target to
 * the shell only after the previous one for that target has finished. Without it, 32 concurrent webhooks for
 * one target race on the target's compare-and-set commit: all but one lose, re-read and re-decide, and a
 * delivery that loses 5 times in a row is answered 503 (the sender delivers again; nothing is lost, but the
 * work is wasted and the tail latency is the retries' back-off).
 *
 * The shell's commit stays a compare-and-set: other processes still race this one and the shell's bounded
 * retries settle those. The queue changes nothing else: each delivery is still decided and committed on
 * its own (so one bad delivery fails alone), in the order the process received them, and deliveries for
 * different targets run concurrently.
 *
 * Bounds: the map holds only targets with a delivery in flight; each target's queue holds at most
 * `maxQueued` deliveries, past which a delivery is refused with a retryable error (HTTP 503, the sender
 * delivers again) rather than queued without end.
 */
import { ShellError } from './errors.ts';
import type { HandleOptions, Shell, ShellResult, TargetSignal } from './shell.ts';

/** A target already has `maxQueued` deliveries waiting in this process: deliver again later. */
export class TargetQueueFullError extends ShellError {
  override readonly name = 'TargetQueueFullError';
  constructor(
    readonly targetId: string,
    readonly maxQueued: number,
  ) {
    super(`target ${targetId} already has ${maxQueued} deliveries waiting in this process; deliver again later`);
  }
}

export interface TargetQueueOptions {
  /** Deliveries waiting per target (the one running not counted), at most. Default 1000. */
  maxQueued: number;
}

/** The shell with its deliveries serialized per target. */
export interface QueuedShell extends Shell {
  /** Deliveries running or waiting, per target with any (for tests and metrics). */
  depths(): Map<string, number>;
}

export function serializePerTarget(shell: Shell, options: Partial<TargetQueueOptions> = {}): QueuedShell {
  const maxQueued = options.maxQueued ?? 1000;
  const queues = new Map<string, { tail: Promise<unknown>; depth: number }>();
  return {
    handle(event: TargetSignal, handleOptions?: HandleOptions): Promise<ShellResult> {
      const { targetId } = event;
      const queue = queues.get(targetId) ?? { tail: Promise.resolve(), depth: 0 };
      // `depth` counts the one running too: waiting = depth - 1.
      if (queue.depth > maxQueued) return Promise.reject(new TargetQueueFullError(targetId, maxQueued));
      queue.depth += 1;
      queues.set(targetId, queue);
      const run = queue.tail.then(() => shell.handle(event, handleOptions));
      const settled = run.then(
        () => undefined,
        () => undefined,
      );
      queue.tail = settled;
      void settled.then(() => {
        queue.depth -= 1;
        if (queue.depth === 0 && queues.get(targetId) === queue) queues.delete(targetId);
      });
      return run;
    },
    depths() {
      return new Map([...queues].map(([id, queue]) => [id, queue.depth]));
    },
  };
}
