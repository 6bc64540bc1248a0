/**
 * Running the deliveries of one payload (an SQS batch, a webhook feeding several targets): deliveries for
 * different targets side by side, so their Redis round trips overlap instead of adding up; those for the
 * same target one after the other, in the payload's order, so a target's decisions follow its events.
 */

/**
 * Call `work` for every item: items with the same key one at a time in their order, different keys
 * concurrently, at most `limit` keys at once. `work` must not throw (it records its own failures).
 */
export async function forEachPerKey<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const lanes = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const lane = lanes.get(key);
    if (lane) lane.push(item);
    else lanes.set(key, [item]);
  }
  const queue = [...lanes.values()];
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const lane = queue[next++]!;
      for (const item of lane) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, queue.length)) }, worker));
}
