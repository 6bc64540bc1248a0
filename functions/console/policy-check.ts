/**
 * The policy editor's check: the text as typed → the problems `tide validate` would print (the same
 * `parseDocument` and `formatProblem`, plus the checks against the target), and when it is valid, a dry run
 * of "what would Tide do now" under it next to the saved policy: a schedule tick decided on the target's
 * current memory and observed capacity, acting on and storing nothing; and a replay of the target's recent
 * signals (kept by the state store with each commit) under it, beside what was decided for each.
 */
import { PolicySchema, type Policy } from '../../core/schema/policy.ts';
import { TargetSchema, policyProblemsForTarget, type ObservedCapacity, type Target } from '../../core/schema/target.ts';
import { formatProblem, parseDocument, type ValidationProblem } from '../../core/errors.ts';
import type { StateStore } from '../../adapters/ports/state-store.ts';
import type { Clock } from '../../adapters/ports/clock.ts';
import type { Decide } from '../shell/shell.ts';
import { summarizeSignal } from '../shell/signal-summary.ts';
import type { Memory } from '../../core/schema/memory.ts';

export interface PreviewDependencies {
  store: Pick<StateStore, 'load' | 'readRecentSignals' | 'getPolicy'>;
  observe: (target: Target) => Promise<ObservedCapacity | null>;
  decide: Decide;
  clock: Clock;
}

export interface PolicyCheck {
  valid: boolean;
  problems: { path: string; message: string }[];
  dryRun?: { proposed: DryRunSummary; current: DryRunSummary } | { error: string };
  /** The target's recent signals, oldest first: what was decided for each, and what this policy would have. */
  replay?: ReplayRow[] | { error: string };
}

interface ReplayRow {
  at: number;
  signal: string;
  decided: { outcome: string; desiredCapacity: number };
  /**
   * The saved policy replayed the same way (same empty memory at the oldest signal): beside `proposed`, it
   * separates the edit's effect from the replay's start. Absent when the target has no saved policy.
   */
  saved?: { outcome: string; desiredCapacity: number };
  proposed: { outcome: string; desiredCapacity: number; reason: string };
}

interface DryRunSummary {
  outcome: string;
  currentCapacity: number;
  desiredCapacity: number;
  reasons: string[];
  holds: { rule: string; reason: string }[];
}

const READ_ONLY_EVENT = 'tide-console:policy-check';

/** Where in `text` JSON first goes wrong, as `line L, column C` (Node's own message has no position on Node 20). */
function jsonProblem(text: string): { path: string; message: string } {
  const offset = jsonErrorOffset(text);
  const reason = offset >= text.length ? 'unexpected end of text' : `unexpected ${JSON.stringify(text[offset])}`;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { path: '(document)', message: `not JSON at line ${line}, column ${column}: ${reason}` };
}

/** The offset of the first character a JSON parser cannot take (a small recursive-descent scan, bounded by the text). */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === '' || match[0] === '-') fail();
    i += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 200) fail();
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail();
        string();
        space();
        if (text[i] !== ':') fail();
        i++;
        value(depth + 1);
        space();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        space();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail();
  };
  try {
    value(0);
    space();
    if (i < text.length) fail();
  } catch (offset) {
    if (typeof offset === 'number') return Math.min(offset, text.length);
    throw offset;
  }
  return text.length;
}

/** Check `text` as the policy of `targetDocument`; with `preview`, dry-run it. Never throws on bad text. */
export async function checkPolicy(
  text: string,
  targetDocument: unknown,
  preview: PreviewDependencies | undefined,
): Promise<PolicyCheck> {
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return { valid: false, problems: [jsonProblem(text)] };
  }
  const parsed = parseDocument(PolicySchema, document, 'policy');
  const problems: ValidationProblem[] = parsed.ok ? [] : [...parsed.error.problems];
  const target = TargetSchema.safeParse(targetDocument);
  if (parsed.ok && target.success) problems.push(...policyProblemsForTarget(parsed.value, target.data));
  const listed = problems.map((problem) => ({ path: problem.path, message: formatProblem(problem) }));
  if (!parsed.ok || listed.length > 0 || !target.success || !preview)
    return { valid: listed.length === 0 && parsed.ok, problems: listed };
  const [now, replayed] = await Promise.all([
    dryRun(parsed.value, target.data, preview),
    replay(parsed.value, target.data, preview),
  ]);
  return { valid: true, problems: [], dryRun: now, replay: replayed };
}

/**
 * The recent signals decided again, in order, under `policy` and under the saved policy (dry: nothing stored or
 * acted on), each at its own time with the capacity observed then. The memory starts empty at the oldest signal
 * and is carried from one to the next, so cooldowns and stabilization windows play out as they would have; both
 * replays start alike, so where they differ the edit is the cause.
 */
async function replay(
  policy: Policy,
  target: Target,
  deps: PreviewDependencies,
): Promise<ReplayRow[] | { error: string }> {
  try {
    const [signals, saved] = await Promise.all([
      deps.store.readRecentSignals(target.id, deps.clock.now()),
      deps.store.getPolicy(target.id),
    ]);
    const recent = signals.reverse();
    const run = (under: Policy) => {
      let memory: Memory | undefined;
      return recent.map((entry) => {
        const { memory: next, ...decision } = deps.decide({
          now: entry.at,
          signal: entry.signal,
          target,
          policy: under,
          observed: entry.observed,
          ...(memory ? { memory } : {}),
        });
        memory = next;
        return decision;
      });
    };
    const proposed = run(policy);
    const replayedSaved = saved ? run(saved.value) : undefined;
    return recent.map((entry, i) => {
      const decision = proposed[i]!;
      const before = replayedSaved?.[i];
      return {
        at: entry.at,
        signal: summarizeSignal(entry.signal).detail,
        decided: { outcome: entry.decided.outcome, desiredCapacity: entry.decided.desiredCapacity },
        ...(before ? { saved: { outcome: before.outcome, desiredCapacity: before.desiredCapacity } } : {}),
        proposed: {
          outcome: decision.outcome,
          desiredCapacity: decision.desiredCapacity,
          reason: decision.reasons[0] ?? decision.holds[0]?.reason ?? '',
        },
      };
    });
  } catch (error) {
    return { error: `no replay: ${(error as Error).message}` };
  }
}

async function dryRun(
  policy: Policy,
  target: Target,
  deps: PreviewDependencies,
): Promise<{ proposed: DryRunSummary; current: DryRunSummary } | { error: string }> {
  try {
    const snapshot = await deps.store.load(target.id, READ_ONLY_EVENT);
    const observed = await deps.observe(target).catch(() => null);
    const now = deps.clock.now();
    const decideWith = (candidate: Policy): DryRunSummary => {
      const decision = deps.decide({
        now,
        signal: { kind: 'schedule-tick', schedule: 'console-dry-run', source: 'tide-console', observedAt: now },
        target,
        policy: candidate,
        observed,
        ...(snapshot.state.memory ? { memory: snapshot.state.memory } : {}),
      });
      return {
        outcome: decision.outcome,
        currentCapacity: decision.currentCapacity,
        desiredCapacity: decision.desiredCapacity,
        reasons: decision.reasons,
        holds: decision.holds.map((hold) => ({ rule: hold.rule, reason: hold.reason })),
      };
    };
    return { proposed: decideWith(policy), current: decideWith(snapshot.policy?.value ?? PolicySchema.parse({})) };
  } catch (error) {
    return { error: `no dry run: ${(error as Error).message}` };
  }
}
