/** Which load metric the autoscalers read. */
export type LoadMetric = 'in-flight' | 'offered';

/**
 * What the endpoint's metrics recorded, one sample per simulated second: the time-average number of
 * requests in the system (waiting + in service), the offered load (service seconds of the second's
 * arrivals: requests/s × service time, Little's law, without the queue) and the ready replicas.
 * `concurrency` is the load metric the autoscalers read: in-flight requests by default, or offered load.
 * Autoscalers read it through {@link MetricHistory.delivered}, which models how a metric reaches them:
 * aggregated over a period, and available some delay after the period ends (CloudWatch: 1-minute
 * datapoints about a minute late; SageMaker high-resolution metrics: every 10 s).
 */
export class MetricHistory {
  readonly inFlight: Float64Array;
  readonly offered: Float64Array;
  readonly ready: Float64Array;
  /** The series autoscalers read: `inFlight` or `offered`. */
  readonly concurrency: Float64Array;
  /** Seconds recorded so far (samples 0 … length − 1). */
  length = 0;

  constructor(
    capacitySeconds: number,
    readonly metric: LoadMetric = 'in-flight',
  ) {
    this.inFlight = new Float64Array(capacitySeconds);
    this.offered = new Float64Array(capacitySeconds);
    this.ready = new Float64Array(capacitySeconds);
    this.concurrency = metric === 'offered' ? this.offered : this.inFlight;
  }

  /** Record second `length` (the one just simulated). */
  record(inFlight: number, ready: number, offered = 0): void {
    this.inFlight[this.length] = inFlight;
    this.offered[this.length] = offered;
    this.ready[this.length] = ready;
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
   * delivered `delaySeconds` after its period ends. Undefined before the first datapoint exists.
   */
  delivered(now: number, periodSeconds: number, delaySeconds: number): DeliveredDatapoint | undefined {
    const periodEnd = Math.floor((now - delaySeconds) / periodSeconds) * periodSeconds;
    const periodStart = periodEnd - periodSeconds;
    if (periodStart < 0 || periodEnd > this.length) return undefined;
    const ready = this.mean(this.ready, periodStart, periodEnd)!;
    const perReady = (value: number) => value / Math.max(ready, 1);
    const concurrency = this.mean(this.concurrency, periodStart, periodEnd)!;
    return {
      periodEnd,
      concurrency,
      ready,
      perReplica: perReady(concurrency),
      inFlightPerReplica: perReady(this.mean(this.inFlight, periodStart, periodEnd)!),
      offeredPerReplica: perReady(this.mean(this.offered, periodStart, periodEnd)!),
    };
  }
}

/** One delivered datapoint. */
export interface DeliveredDatapoint {
  /** End of the aggregation period, seconds from the run's start. */
  periodEnd: number;
  /** Mean of the autoscalers' load metric over the period (total over replicas). */
  concurrency: number;
  /** Mean ready replicas. */
  ready: number;
  /** `concurrency` ÷ `ready` (ready taken as at least 1): what a per-instance metric reports. */
  perReplica: number;
  /** In-flight requests (waiting + served) ÷ ready. */
  inFlightPerReplica: number;
  /** Offered load ÷ ready: what metric math on invocations × model latency ÷ instances gives. */
  offeredPerReplica: number;
}
