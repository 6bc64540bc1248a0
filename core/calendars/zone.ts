/**
 * Local wall-clock time in an IANA zone to an instant, and back. `Intl` carries the zone rules (DST
 * included), so no offset is ever written down here.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let cached = formatters.get(timeZone);
  if (!cached) {
    cached = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, cached);
  }
  return cached;
}

/** The zone's offset from UTC at an instant, ms (New York in winter: -18 000 000). */
function offsetAt(at: number, timeZone: string): number {
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  return asUtc - Math.floor(at / 60_000) * 60_000;
}

/**
 * The instant of a local date and minute of day in a zone. Exchanges never open inside a DST gap, so the
 * second offset check only settles which side of a transition the time is on.
 */
export function zonedInstant(days: number, minuteOfDay: number, timeZone: string): number {
  const naive = days * 86_400_000 + minuteOfDay * 60_000;
  const first = naive - offsetAt(naive, timeZone);
  const second = naive - offsetAt(first, timeZone);
  return second;
}
