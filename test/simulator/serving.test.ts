import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVING_MODEL, prefillSeconds, ServingQueue, serviceSeconds } from '../../simulator/serving.ts';
import type { TraceRequest } from '../../simulator/trace.ts';

const request = (atSeconds: number, contextTokens = 3000, generatedTokens = 28): TraceRequest => ({
  arrivalAt: atSeconds * 1000,
  contextTokens,
  generatedTokens,
});

describe('serving model', () => {
  it('prefill at 3,000 tokens/s and decode at 28 tokens/s per sequence', () => {
    expect(prefillSeconds(DEFAULT_SERVING_MODEL, request(0, 3000, 56))).toBe(1);
    expect(serviceSeconds(DEFAULT_SERVING_MODEL, request(0, 3000, 56))).toBe(3);
  });
});

describe('ServingQueue', () => {
  it.each([
    { label: 'free slot: TTFT is the prefill', slots: 1, requests: [request(0.5)], ttft: [1] },
    {
      label: 'second request waits for the first (2 s service)',
      slots: 1,
      requests: [request(0), request(0.5)],
      ttft: [1, 2.5],
    },
    { label: 'two slots: no wait', slots: 2, requests: [request(0), request(0.5)], ttft: [1, 1] },
  ])('$label', ({ slots, requests, ttft }) => {
    const queue = new ServingQueue(requests, 0);
    for (let second = 0; second < 10; second++) queue.advance(second + 1, slots);
    expect(Array.from(queue.ttftSeconds)).toEqual(ttft);
  });

  it('holds requests while there are no slots, and starts them when capacity arrives', () => {
    const queue = new ServingQueue([request(0)], 0);
    expect(queue.advance(5, 0)).toBe(1);
    queue.advance(6, 8);
    expect(queue.ttftSeconds[0]).toBe(6);
  });

  it('reports the time-average number in the system', () => {
    const queue = new ServingQueue([request(0, 0, 14)], 0); // 0.5 s of service
    expect(queue.advance(1, 1)).toBeCloseTo(0.5, 9);
  });

  it("reports the offered work (service seconds) of each step's arrivals, queued or not", () => {
    const queue = new ServingQueue([request(0.2), request(0.4), request(1.5)], 0);
    queue.advance(1, 0);
    expect(queue.lastOfferedWork).toBe(4);
    queue.advance(2, 0);
    expect(queue.lastOfferedWork).toBe(2);
  });

  it('censors requests that never started', () => {
    const queue = new ServingQueue([request(0)], 0);
    queue.advance(10, 0);
    queue.censorUnstarted(100);
    expect(queue.ttftSeconds[0]).toBe(101);
  });

  it('every request is served, FIFO, and waits at least its prefill', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 60_000 }),
            fc.integer({ min: 1, max: 8000 }),
            fc.integer({ min: 1, max: 500 }),
          ),
          { minLength: 1, maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 16 }),
        (rows, slots) => {
          const requests = rows
            .map(([ms, c, g]) => ({ arrivalAt: ms, contextTokens: c, generatedTokens: g }))
            .sort((a, b) => a.arrivalAt - b.arrivalAt);
          const queue = new ServingQueue(requests, 0);
          for (let second = 0; second < 4000 && !queue.drained; second++) queue.advance(second + 1, slots);
          requests.forEach((r, i) => {
            const ttft = queue.ttftSeconds[i]!;
            expect(Number.isNaN(ttft)).toBe(false);
            expect(ttft).toBeGreaterThanOrEqual(prefillSeconds(DEFAULT_SERVING_MODEL, r) - 1e-9);
          });
          // FIFO: start times (arrival + wait) never go backwards.
          const starts = requests.map(
            (r, i) => r.arrivalAt / 1000 + queue.ttftSeconds[i]! - prefillSeconds(DEFAULT_SERVING_MODEL, r),
          );
          for (let i = 1; i < starts.length; i++) expect(starts[i]!).toBeGreaterThanOrEqual(starts[i - 1]! - 1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });
});
