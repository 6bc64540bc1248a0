/**
 * Trigger matching: which targets a signal is for. Pure (no I/O), so it lives in the core next to the trigger
 * schema and can be tested and reused by the shell, the simulator and `tide parse` alike. The event parsers
 * (adapters/events) attach a `SignalRoute` to every signal: what the provider said about where the signal
 * came from, which is what triggers match on and what the signal itself need not carry.
 */
import type { Signal } from '../schema/signal.ts';
import type { Trigger, TriggerSource } from '../schema/trigger.ts';
import { own } from '../dictionary.ts';

/** Where a signal came from, as far as trigger matching needs to know. */
export interface SignalRoute {
  source: Exclude<TriggerSource, 'any'>;
  /** Alarm, alert rule or policy name, when the source has one. */
  alarmName?: string;
  /** Dimensions, labels or tags, flattened to strings. */
  dimensions: Record<string, string>;
  /** Every resource the event names (ARN, resource name, Azure resource id, CloudEvents source). */
  resourceIds: string[];
}

/** A signal with its route, as the event parsers produce it. */
export interface RoutableSignal {
  signal: Signal;
  route: SignalRoute;
}

/** A target and its policy's triggers. */
export interface TriggerTarget {
  targetId: string;
  triggers: readonly Trigger[];
}

/** One signal delivered to one target, through the first of its triggers that matched. */
export interface TriggerDelivery {
  targetId: string;
  /** Index of the matching trigger in the target's `triggers`. */
  triggerIndex: number;
  /** The signal, with its metric renamed when the trigger says so. */
  signal: Signal;
}

/** What routing an event gave: deliveries, and the signals no target wanted (acknowledge and log them). */
export interface RoutingResult {
  deliveries: TriggerDelivery[];
  unmatched: RoutableSignal[];
}

/** `*` matches any run of characters; everything else is literal. */
function globMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (!p.includes('*')) return p === v;
  const parts = p.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!v.startsWith(first) || v.length < first.length + last.length || !v.endsWith(last)) return false;
  // Greedy left-to-right search for the middle parts between the fixed prefix and suffix.
  let at = first.length;
  const end = v.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = v.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

/** Azure resource ids are case-insensitive (ARM normalises them differently across services). */
function isAzureResourceId(value: string): boolean {
  return value.toLowerCase().startsWith('/subscriptions/');
}

/** True when `trigger` takes a signal with this route and kind. */
export function triggerMatches(trigger: Trigger, route: SignalRoute, signal: Signal): boolean {
  if (trigger.source !== 'any' && trigger.source !== route.source) return false;
  if (trigger.kinds && !trigger.kinds.includes(signal.kind)) return false;
  if (trigger.alarmName !== undefined) {
    if (route.alarmName === undefined || !globMatches(trigger.alarmName, route.alarmName, false)) return false;
  }
  if (trigger.dimensions) {
    for (const [key, value] of Object.entries(trigger.dimensions)) {
      if (own(route.dimensions, key) !== value) return false;
    }
  }
  if (trigger.resourceId !== undefined) {
    const pattern = trigger.resourceId;
    const ignoreCase = isAzureResourceId(pattern);
    if (!route.resourceIds.some((id) => globMatches(pattern, id, ignoreCase))) return false;
  }
  return true;
}

/** The signal as the target sees it: the trigger's `metric` replaces the source's metric name. */
function renamed(signal: Signal, trigger: Trigger): Signal {
  if (trigger.metric === undefined) return signal;
  if (signal.kind === 'metric' || signal.kind === 'metric-failure' || signal.kind === 'alarm') {
    return { ...signal, metric: trigger.metric };
  }
  return signal;
}

/** Every target that takes this signal, each through the first of its triggers that matches. */
export function routeSignal(targets: readonly TriggerTarget[], routable: RoutableSignal): TriggerDelivery[] {
  const deliveries: TriggerDelivery[] = [];
  for (const target of targets) {
    const triggerIndex = target.triggers.findIndex((trigger) =>
      triggerMatches(trigger, routable.route, routable.signal),
    );
    if (triggerIndex < 0) continue;
    deliveries.push({
      targetId: target.targetId,
      triggerIndex,
      signal: renamed(routable.signal, target.triggers[triggerIndex]!),
    });
  }
  return deliveries;
}

/**
 * Route every signal of an event. A signal no target takes is returned in `unmatched`: the caller
 * acknowledges it and logs it, it is not an error (a shared alarm topic carries alarms for other systems).
 */
export function routeSignals(targets: readonly TriggerTarget[], signals: readonly RoutableSignal[]): RoutingResult {
  const deliveries: TriggerDelivery[] = [];
  const unmatched: RoutableSignal[] = [];
  for (const routable of signals) {
    const found = routeSignal(targets, routable);
    if (found.length === 0) unmatched.push(routable);
    deliveries.push(...found);
  }
  return { deliveries, unmatched };
}
