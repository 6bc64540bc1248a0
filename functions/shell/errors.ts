import type { ActionResult } from './reconciler.ts';

/**
 * The shell's own typed errors. All three are retryable: the platform should deliver the event again
 * (SQS visibility timeout, Pub/Sub nack, Event Grid retry), and the next delivery finds the race lost,
 * the lease expired or the actions ready to re-drive.
 */
export class ShellError extends Error {
  override readonly name: string = 'ShellError';
  readonly retryable: boolean = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Every compare-and-set attempt lost a race (or waited on another decision's actions) within the bound. */
export class CommitContentionError extends ShellError {
  override readonly name = 'CommitContentionError';
  constructor(
    readonly targetId: string,
    readonly eventId: string,
    readonly attempts: number,
  ) {
    super(
      `could not commit event ${eventId} for ${targetId} in ${attempts} attempts: other decisions for the target kept landing first`,
    );
  }
}

/** Another invocation committed this event and holds the lease to execute its actions right now. */
export class EventInProgressError extends ShellError {
  override readonly name = 'EventInProgressError';
  constructor(
    readonly targetId: string,
    readonly eventId: string,
    readonly leaseUntil: number,
  ) {
    super(
      `event ${eventId} for ${targetId} is being acted on by another invocation (lease until ${new Date(leaseUntil).toISOString()})`,
    );
  }
}

/**
 * The decision is committed but one of its actions failed retryably; its outbox stays pending for the
 * redelivery. `actions` is the reconciler's record of every action (done, retryable, failed, skipped).
 */
export class ActionFailedError extends ShellError {
  override readonly name = 'ActionFailedError';
  readonly actions: readonly ActionResult[];
  constructor(
    readonly targetId: string,
    readonly eventId: string,
    options: { cause: unknown; actions?: readonly ActionResult[] },
  ) {
    super(
      `actions of event ${eventId} for ${targetId} failed: ${(options.cause as Error)?.message ?? String(options.cause)}`,
      { cause: options.cause },
    );
    this.actions = options.actions ?? [];
  }
}

/** Not started: the invocation's time left does not cover one more delivery (it is left for redelivery). */
export class DeadlineNearError extends ShellError {
  override readonly name = 'DeadlineNearError';
  constructor(
    readonly remainingMs: number,
    readonly perDeliveryMs: number,
  ) {
    super(
      `not started: ${Math.max(0, Math.round(remainingMs))} ms left before the deadline, a delivery takes up to ${Math.round(perDeliveryMs)} ms; left for redelivery`,
    );
  }
}
