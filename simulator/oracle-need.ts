import { MinHeap, prefillSeconds, serviceSeconds, type ServingModel } from './serving.ts';
import type { Trace } from './trace.ts';

/** What the hindsight oracle needs each minute, and the requests no capacity could serve in time. */
export interface OracleNeed {
  /** Per minute of the run: the fewest ready replicas that keep every servable request within the SLO. */
  perMinute: Int32Array;
  /**
   * Requests over the SLO whatever the capacity: the prompt alone prefills for longer than the SLO (a
   * 14,000-token prompt takes 4.7 s at 3,000 tokens/s against a 3-s SLO). They are still served (they
   * take slots) but do not size the need.
   */
  excludedRequests: number;
}

/**
 * The endpoint's FIFO queue as `ServingQueue` (./serving.ts) runs it, reduced to what the oracle needs and
 * copyable: arrivals are in order and the queue is FIFO, so the waiting requests are exactly the indices
 * [started, arrived); the state is that pair plus the completion times of the requests in service. Events
 * are taken in the same order as `ServingQueue.advance` (a completion before an arrival at the same time),
 * so with the same slots it starts every request at the same time as the engine does.
 */
export class QueueWalk {
  constructor(
    private readonly arrival: Float64Array,
    private readonly service: Float64Array,
    public completions = new MinHeap(),
    public started = 0,
    public arrived = 0,
    public time = 0,
  ) {}

  copy(): QueueWalk {
    return new QueueWalk(this.arrival, this.service, this.completions.copy(), this.started, this.arrived, this.time);
  }

  /**
   * Serve with `slots` until `until`, or until request `untilStarted − 1` has started if that comes first
   * (`until` = Infinity walks on until then); requests from `untilStarted` on are not started. Calls `onStart(i, startSeconds)` for each request started;
   * stops early, returning false, when it returns false.
   */
  walk(until: number, slots: number, untilStarted: number, onStart: (i: number, at: number) => boolean): boolean {
    const { arrival, service, completions } = this;
    let t = this.time;
    for (;;) {
      while (completions.size < slots && this.started < this.arrived && this.started < untilStarted) {
        const i = this.started++;
        if (!onStart(i, t)) return false;
        completions.push(t + service[i]!);
      }
      if (this.started >= untilStarted) break;
      const nextArrivalAt = this.arrived < arrival.length ? arrival[this.arrived]! : Infinity;
      const nextCompletionAt = completions.peek();
      const at = Math.min(nextArrivalAt, nextCompletionAt);
      if (at >= until || at === Infinity) {
        t = until === Infinity ? t : until;
        break;
      }
      t = at;
      if (nextCompletionAt <= nextArrivalAt) completions.pop();
      else this.arrived++;
    }
    this.time = t;
    return true;
  }
}

/** Arrival (seconds from the trace's start), service and prefill seconds of every request. */
export function requestTimes(trace: Trace, model: ServingModel) {
  const n = trace.requests.length;
  const arrival = new Float64Array(n);
  const service = new Float64Array(n);
  const prefill = new Float64Array(n);
  trace.requests.forEach((request, i) => {
    arrival[i] = (request.arrivalAt - trace.startAt) / 1000;
    service[i] = serviceSeconds(model, request);
    prefill[i] = prefillSeconds(model, request);
  });
  return { arrival, service, prefill };
}

/**
 * For each minute, the fewest ready replicas that keep every request in the system during that minute
 * (those still waiting from earlier minutes and the minute's arrivals) within the SLO, walking the real
 * queue: the minute is tried with n replicas held until all of those requests have started, and the
 * smallest n that starts each of them by arrival + SLO − prefill is kept (more slots never start a FIFO
 * request later, so a bisection finds it). The queue then moves on through the minute with that n, and the
 * next minute starts from the queue it left. A request whose prefill alone is longer than the SLO is
 * excluded (counted, served, not sized for). `minReplicas` is a floor.
 */
export function oracleNeed(
  trace: Trace,
  model: ServingModel,
  sloMs: number,
  minutes: number,
  minReplicas: number,
): OracleNeed {
  const { arrival, service, prefill } = requestTimes(trace, model);
  const slotsPer = model.concurrencyPerGpu;
  const excluded = new Uint8Array(arrival.length);
  let excludedRequests = 0;
  for (let i = 0; i < arrival.length; i++) {
    if (prefill[i]! * 1000 > sloMs) {
      excluded[i] = 1;
      excludedRequests++;
    }
  }
  // In ms and compared exactly as `summarize` counts a request over the SLO, so that the replay agrees to
  // the request (a wait of 2.8 s plus 0.2 s of prefill can land a float's width either side of 3 s).
  const inTime = (i: number, at: number) => excluded[i] === 1 || (at - arrival[i]! + prefill[i]!) * 1000 <= sloMs;
  const perMinute = new Int32Array(minutes);
  const queue = new QueueWalk(arrival, service);
  let endOfMinute = 0;
  for (let minute = 0; minute < minutes; minute++) {
    const until = (minute + 1) * 60;
    while (endOfMinute < arrival.length && arrival[endOfMinute]! < until) endOfMinute++;
    const fits = (replicas: number) => queue.copy().walk(Infinity, replicas * slotsPer, endOfMinute, inTime);
    // Enough slots for every request in the system or arriving this minute to start at once always fit.
    let high = Math.max(minReplicas, Math.ceil((queue.completions.size + endOfMinute - queue.started) / slotsPer));
    let low = minReplicas;
    // Start from last minute's need: most minutes need about as much as the one before.
    const guess = Math.min(high, Math.max(low, minute > 0 ? perMinute[minute - 1]! : low));
    if (fits(guess)) high = guess;
    else low = guess + 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (fits(middle)) high = middle;
      else low = middle + 1;
    }
    perMinute[minute] = high;
    queue.walk(until, high * slotsPer, arrival.length, () => true);
  }
  return { perMinute, excludedRequests };
}
