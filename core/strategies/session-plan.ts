import { addDays, exchangeDay, exchangeTimeZone, localDateAt } from '../calendars/index.ts';
import type { ExchangeDay, ExchangeOverride } from '../calendars/types.ts';
import type { PlanCursor } from '../schema/memory.ts';
import type { Plan, SessionFollow } from '../schema/plan.ts';

/** Days searched ahead for the next session: Lunar New Year plus a weekend, or CME's Christmas, fit well inside. */
const SEARCH_DAYS = 21;

interface Segment {
  /** Floor from here (the open plus the offset and pre-warm lead). */
  from: number;
  /** The session (or afternoon) open this segment serves; `from` before it is pre-warm. */
  open: number;
  until: number;
  label: string;
  /** Set on a date the calendar cannot know, held as if open. */
  unknown?: string;
}

const MINUTE = 60_000;

const clocks = new Map<string, Intl.DateTimeFormat>();
function clock(at: number, timeZone: string): string {
  let formatter = clocks.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    clocks.set(timeZone, formatter);
  }
  return formatter.format(at);
}

/** The floor windows one exchange date gives a plan, in time order (several when a lunch break splits it). */
function segmentsOf(
  plan: Plan,
  follow: SessionFollow,
  day: ExchangeDay,
  timeZone: string,
): { segments: Segment[]; note?: string } {
  if (day.status === 'closed') return { segments: [], note: `${day.exchange} closed on ${day.date}: ${day.reason}` };
  let session: { open: number; close: number; breaks: [number, number][] };
  let unknown: string | undefined;
  if (day.status === 'unknown') {
    const note = `${day.exchange} ${day.date}: the calendar cannot know this date (${day.reason})`;
    if (plan.unknownDates === 'release') return { segments: [], note: `${note}; released as the plan asks` };
    session = day.regular;
    unknown = `${note}; holding the floor over the regular hours, since a missed open costs more than an idle hour`;
  } else session = day;
  const lead = follow.openOffsetMinutes * MINUTE - plan.preWarmSeconds * 1000;
  const start =
    follow.startMinutesBeforeClose !== undefined
      ? Math.max(session.open, session.close - follow.startMinutesBeforeClose * MINUTE) - plan.preWarmSeconds * 1000
      : session.open + lead;
  const end =
    follow.durationMinutes !== undefined
      ? Math.min(start + plan.preWarmSeconds * 1000 + follow.durationMinutes * MINUTE, session.close)
      : session.close + follow.closeOffsetMinutes * MINUTE;
  const note = day.status === 'open' && day.note ? ` (${day.note})` : '';
  const label = `${day.exchange} ${day.date} ${clock(session.open, timeZone)}–${clock(session.close, timeZone)} ${timeZone}${note}`;
  const segments: Segment[] = [];
  let from = start;
  // A window that starts late in the session pre-warms for its own start, not for the open.
  let open = follow.startMinutesBeforeClose !== undefined ? start + plan.preWarmSeconds * 1000 : session.open;
  if (!follow.holdThroughBreaks) {
    for (const [breakStart, breakEnd] of session.breaks) {
      // The floor goes at the break and comes back the same lead before the afternoon open.
      const back = breakEnd + Math.min(lead, 0);
      if (breakStart >= end || back <= breakStart || breakEnd <= from) continue;
      if (breakStart > from) segments.push({ from, open, until: breakStart, label, unknown });
      from = Math.max(back, from);
      open = breakEnd;
    }
  }
  if (end > from) segments.push({ from, open, until: end, label, unknown });
  return { segments };
}

/**
 * Where `now` stands for a plan that follows an exchange: inside a window, or between windows and until
 * when. Walks the exchange's dates from yesterday (a CME session for tomorrow opens this evening) forward.
 */
export function computeSessionCursor(
  plan: Plan,
  overrides: readonly ExchangeOverride[],
  fingerprint: string,
  now: number,
): PlanCursor {
  const follow = plan.session as SessionFollow;
  const mic = follow.exchange;
  const today = localDateAt(mic, now);
  const timeZone = exchangeTimeZone(mic);
  let lastEnd = Number.NEGATIVE_INFINITY;
  let todayNote: string | undefined;
  for (let offset = -1; offset <= SEARCH_DAYS; offset += 1) {
    const date = addDays(today, offset);
    const day = exchangeDay(mic, date, overrides);
    if (!day) break;
    const { segments, note } = segmentsOf(plan, follow, day, timeZone);
    if (note && date === today) todayNote = note;
    for (const segment of segments) {
      if (now >= segment.until) {
        lastEnd = Math.max(lastEnd, segment.until);
        continue;
      }
      if (now >= segment.from) {
        return {
          fingerprint,
          validFrom: segment.from,
          validUntil: segment.until,
          active: true,
          windowStart: segment.open,
          windowEnd: segment.until,
          label: segment.label,
          ...(segment.unknown ? { note: segment.unknown } : {}),
        };
      }
      return {
        fingerprint,
        validFrom: Math.min(Number.isFinite(lastEnd) ? lastEnd : now, now),
        validUntil: segment.from,
        active: false,
        windowStart: null,
        windowEnd: null,
        label: `next window ${segment.label}`,
        ...(todayNote ? { note: todayNote } : {}),
      };
    }
  }
  return {
    fingerprint,
    validFrom: now,
    validUntil: now + 24 * 3600_000,
    active: false,
    windowStart: null,
    windowEnd: null,
    label: `no ${mic} session within ${SEARCH_DAYS} days`,
    ...(todayNote ? { note: todayNote } : {}),
  };
}
