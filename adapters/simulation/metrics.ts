/**
 * What the endpoint's metrics recorded, one sample per simulated second: the time-average number of
 * requests in the system (waiting + in service) and the ready replicas. Autoscalers read it only through
 * {@link MetricHistory.delivered}, which models how a metric reaches them: aggregated over a period, and
 * available some delay after the period ends (CloudWatch: 1-minute datapoints about a minute late;
 * SageMaker high-resolution metrics: every 10 s).
 */
export class MetricHistory {
  readonly concurrency: Float64Array;
  readonly ready: Float64Array;
  /** Offered load: service seconds of the second's arrivals (requests/s × service time, Little's law). */
  readonly offered: Float64Array;
  /** Seconds recorded so far (samples 0 … length − 1). */
  length = 0;

  constructor(capacitySeconds: number) {
    this.concurrency = new Float64Array(capacitySeconds);
    this.ready = new Float64Array(capacitySeconds);
    this.offered = new Float64Array(capacitySeconds);
  }

  /** Record second `length` (the one just simulated). */
  record(concurrency: number, ready: number, offered = 0): void {
    this.concurrency[this.length] = concurrency;
    this.ready[this.length] = ready;
    this.offered[this.length] = offered;
    this.length++;
  }

  /** Mean of a series over seconds [from, to), clipped to what is recorded; undefined when empty. */
  mean(series: Float64Array, from: number, to: number): number | undefined {
    const start = Math.max(0, Math.floor(from));
    const end = Math.min(this.length, Math.floor(to));
    if (end <= start) return undefined;
    let sum = 0;
    for (let s = start; s < end; s++) sum += series[s]!;
    return sum / (end - start);
  }

  /**
   * The newest datapoint available at `now` (seconds) for a metric aggregated over `periodSeconds` and
   * delivered `delaySeconds` after its period ends: total concurrency and ready replicas, each averaged over
   * that period, plus the period's end. Undefined before the first datapoint exists.
   */
  delivered(now: number, periodSeconds: number, delaySeconds: number): DeliveredDatapoint | undefined {
    const periodEnd = Math.floor((now - delaySeconds) / periodSeconds) * periodSeconds;
    const periodStart = periodEnd - periodSeconds;
    if (periodStart < 0 || periodEnd > this.length) return undefined;
    const concurrency = this.mean(this.concurrency, periodStart, periodEnd)!;
    const ready = this.mean(this.ready, periodStart, periodEnd)!;
    const offered = this.mean(this.offered, periodStart, periodEnd)!;
    return { periodEnd, concurrency, ready, perReplica: concurrency / Math.max(ready, 1), offeredPerReplica: offered / Math.max(ready, 1) };
  }
}

/** One delivered datapoint. */
export interface DeliveredDatapoint {
  /** End of the aggregation period, seconds from the run's start. */
  periodEnd: number;
  /** Mean requests in the system (total over replicas). */
  concurrency: number;
  /** Mean ready replicas. */
  ready: number;
  /** `concurrency` ÷ `ready` (ready taken as at least 1): what a per-instance metric reports. */
  perReplica: number;
  /** Offered load (arrivals × service time, no queue) ÷ ready: what metric math on invocations × model latency gives. */
  offeredPerReplica: number;
}
