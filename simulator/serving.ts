import type { TraceRequest } from './trace.ts';

/**
 * How one GPU serves an LLM, as continuous batching does it: up to `concurrencyPerGpu` requests at once,
 * each taking prefill (prompt tokens ÷ prefill rate) then decode (output tokens ÷ per-sequence decode rate).
 * A request that finds every slot busy waits in one FIFO queue in front of the endpoint (a load balancer
 * sending to the least-loaded replica behaves close to that).
 *
 * Defaults: Llama-3.1-8B in BF16 with vLLM on one NVIDIA A10G (24 GB, `ml.g5.2xlarge`). Decode is memory
 * bound: about 75 tokens/s per sequence on an A100 40GB (1,555 GB/s) with batching nearly free up to 8
 * concurrent sequences (johnmusgrave.com, "vLLM throughput-latency sweep on NVIDIA A100", vLLM 0.23); the
 * A10G has 600 GB/s, so 75 × 600 / 1,555 ≈ 29, rounded down to 28 tokens/s. Concurrency 8: the knee of that
 * sweep, and what 6-8 GB of KV cache left after 16 GB of weights holds at these prompt lengths. Prefill is
 * compute bound: 8B parameters ≈ 16 GFLOP per token, the A10G's 125 dense BF16 TFLOPS give ≈ 7,800 tokens/s
 * at peak; 3,000 tokens/s assumes about 40 % of peak.
 */
export interface ServingModel {
  concurrencyPerGpu: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

/** See {@link ServingModel}. */
export const DEFAULT_SERVING_MODEL: ServingModel = {
  concurrencyPerGpu: 8,
  prefillTokensPerSecond: 3000,
  decodeTokensPerSecond: 28,
};

/** Seconds from start of service to the first token. */
export function prefillSeconds(model: ServingModel, request: TraceRequest): number {
  return request.contextTokens / model.prefillTokensPerSecond;
}

/** Seconds a request holds a slot: prefill plus decode. */
export function serviceSeconds(model: ServingModel, request: TraceRequest): number {
  return prefillSeconds(model, request) + request.generatedTokens / model.decodeTokensPerSecond;
}

/** A min-heap of numbers (completion times); copied cheaply where a walk branches (the oracle's QueueWalk). */
export class MinHeap {
  constructor(private readonly items: number[] = []) {}
  copy(): MinHeap {
    return new MinHeap(this.items.slice());
  }
  get size(): number {
    return this.items.length;
  }
  peek(): number {
    return this.items[0] ?? Infinity;
  }
  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }
  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child = right < items.length && items[right]! < items[left]! ? right : left;
        if (items[child]! >= last) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}

/**
 * The endpoint's queue, advanced in steps during which the number of slots is fixed. Times are seconds
 * from the start of the run. Requests in service when slots shrink finish (a scale-in drains).
 */
export class ServingQueue {
  /** Time to first token of each request, seconds (wait + prefill); NaN until it starts. */
  readonly ttftSeconds: Float64Array;
  private readonly arrival: Float64Array;
  private readonly service: Float64Array;
  private readonly prefill: Float64Array;
  private readonly completions = new MinHeap();
  private readonly waiting: number[] = [];
  private waitingHead = 0;
  private nextArrival = 0;
  private time = 0;
  /** Service seconds of the requests that arrived during the last {@link ServingQueue.advance} step. */
  lastOfferedWork = 0;

  constructor(requests: readonly TraceRequest[], startAt: number, model: ServingModel = DEFAULT_SERVING_MODEL) {
    const n = requests.length;
    this.ttftSeconds = new Float64Array(n).fill(NaN);
    this.arrival = new Float64Array(n);
    this.service = new Float64Array(n);
    this.prefill = new Float64Array(n);
    requests.forEach((request, i) => {
      this.arrival[i] = (request.arrivalAt - startAt) / 1000;
      this.prefill[i] = prefillSeconds(model, request);
      this.service[i] = serviceSeconds(model, request);
    });
  }

  /** Requests waiting plus in service now. */
  get inSystem(): number {
    return this.completions.size + this.waiting.length - this.waitingHead;
  }

  /** Requests in service now (holding a slot). */
  get inService(): number {
    return this.completions.size;
  }

  /** Whether every request has started. */
  get drained(): boolean {
    return this.nextArrival >= this.arrival.length && this.waitingHead >= this.waiting.length;
  }

  /**
   * Serve until `until` (seconds) with `slots` request slots; returns the time-average number of requests
   * in the system (waiting + in service) over the step: the concurrency a replica's metrics report.
   */
  advance(until: number, slots: number): number {
    const from = this.time;
    let t = from;
    let area = 0;
    this.lastOfferedWork = 0;
    this.startWaiting(t, slots);
    for (;;) {
      const nextArrivalAt = this.nextArrival < this.arrival.length ? this.arrival[this.nextArrival]! : Infinity;
      const nextCompletionAt = this.completions.peek();
      const at = Math.min(nextArrivalAt, nextCompletionAt);
      if (at >= until) break;
      area += this.inSystem * (at - t);
      t = at;
      if (nextCompletionAt <= nextArrivalAt) this.completions.pop();
      else {
        this.lastOfferedWork += this.service[this.nextArrival]!;
        this.waiting.push(this.nextArrival++);
      }
      this.startWaiting(t, slots);
    }
    area += this.inSystem * (until - t);
    this.time = until;
    if (this.waitingHead > 4096 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
    return until > from ? area / (until - from) : this.inSystem;
  }

  private startWaiting(t: number, slots: number): void {
    while (this.completions.size < slots && this.waitingHead < this.waiting.length) {
      const i = this.waiting[this.waitingHead++]!;
      this.ttftSeconds[i] = t - this.arrival[i]! + this.prefill[i]!;
      this.completions.push(t + this.service[i]!);
    }
  }

  /** Requests that never started by `at` get a TTFT of `at` − arrival (they waited at least that long). */
  censorUnstarted(at: number): void {
    for (let i = 0; i < this.ttftSeconds.length; i++) {
      if (Number.isNaN(this.ttftSeconds[i]!))
        this.ttftSeconds[i] = Math.max(0, at - this.arrival[i]!) + this.prefill[i]!;
    }
  }
}
