import { expect } from 'vitest';
import type { Memory } from '../../../../core/schema/memory.ts';
import type { Policy } from '../../../../core/schema/policy.ts';
import type { Target } from '../../../../core/schema/target.ts';
import type { RecordedDecision, StateStore } from '../../../../adapters/ports/state-store.ts';
import type { Decide, TargetSignal } from '../../../../functions/shell/shell.ts';
import type { RecordingActuator } from './fakes.ts';
import { observedFor } from './fakes.ts';

/**
 * The end-of-run checks shared by the concurrency and failure tests:
 * - every distinct event has exactly one committed decision, confirmed done (or acted on with the
 *   confirmation lost to the outage), and per target the committed
 *   versions are exactly 1..n (no event twice, no update lost);
 * - replaying the distinct events serially, in commit order, through the same decide gives the same
 *   decisions and the same final memory as the concurrent run stored;
 * - every decision with actions was acted on exactly once, per target in commit order, except a superseded one,
 *   which acted once or never (see below); no decision acted twice;
 * - the audit log holds each decision once.
 */
export async function verifyExactlyOnce(options: {
  store: StateStore;
  distinct: TargetSignal[];
  decide: Decide;
  targets: Map<string, Target>;
  policy: Policy;
  actuator: RecordingActuator;
}): Promise<{ decisions: number; withActions: number }> {
  const { store, decide, actuator } = options;
  const byTarget = new Map<string, TargetSignal[]>();
  for (const event of options.distinct) byTarget.set(event.targetId, [...(byTarget.get(event.targetId) ?? []), event]);
  let withActions = 0;

  for (const [targetId, events] of byTarget) {
    const committed: { event: TargetSignal; decision: RecordedDecision; superseded: boolean }[] = [];
    for (const event of events) {
      const record = (await store.load(targetId, event.signal.eventId!)).event;
      expect(record, `record of ${event.signal.eventId}`).not.toBeNull();
      const acted = actuator.calls.some((call) => call.eventId === event.signal.eventId);
      // Besides done, after an outage: pending where the actions ran but the confirmation could not be
      // written (the shell reports success rather than act twice); superseded where a newer decision with
      // actions replaced its outbox entry before it was confirmed: either the invocation that committed it
      // died before acting, or it acted and its confirmation was lost to the outage. The store cannot tell
      // these apart, and neither acts twice: the superseded outbox entry is never replayed.
      const allowed = { done: true, pending: acted, superseded: true }[record!.status];
      expect(allowed, `status ${record!.status} of ${event.signal.eventId} (acted: ${acted})`).toBe(true);
      committed.push({ event, decision: record!.decision, superseded: record!.status === 'superseded' && !acted });
      expect(
        actuator.calls.filter((call) => call.eventId === event.signal.eventId).length,
        `acts of ${event.signal.eventId}`,
      ).toBeLessThanOrEqual(1);
    }
    committed.sort((a, b) => a.decision.version - b.decision.version);
    expect(committed.map((item) => item.decision.version)).toEqual(events.map((_, i) => i + 1));

    const target = options.targets.get(targetId)!;
    let memory: Memory | undefined;
    for (const { event, decision } of committed) {
      const replayed = decide({
        now: decision.at,
        signal: event.signal,
        target,
        policy: options.policy,
        observed: observedFor(target, 2, decision.at),
        ...(memory ? { memory } : {}),
      });
      const { memory: next, ...rest } = replayed;
      expect({ ...rest, eventId: decision.eventId, version: decision.version }).toEqual(decision);
      memory = JSON.parse(JSON.stringify(next)) as Memory;
    }
    const stored = await store.load(targetId, 'verify');
    expect(stored.state.version).toBe(events.length);
    if (stored.state.pending) expect(actuator.eventIds()).toContain(stored.state.pending.eventId);
    expect(stored.state.memory).toEqual(memory);

    const acting = committed.filter((item) => item.decision.actions.length > 0 && !item.superseded);
    withActions += acting.length;
    const versionOf = new Map(committed.map((item) => [item.decision.eventId, item.decision.version]));
    const actedHere = actuator.calls
      .filter((call) => call.targetId === targetId)
      .map((call) => versionOf.get(call.eventId));
    expect(actedHere, `acts on ${targetId}, in commit order`).toEqual(acting.map((item) => item.decision.version));

    const audited: string[] = [];
    let before: string | undefined;
    do {
      const page = await store.readAudit(targetId, { limit: 100, ...(before ? { before } : {}) });
      audited.push(...page.entries.map((entry) => entry.eventId));
      before = page.next ?? undefined;
    } while (before);
    expect(audited.reverse()).toEqual(committed.map((item) => item.decision.eventId));
  }
  return { decisions: options.distinct.length, withActions };
}
