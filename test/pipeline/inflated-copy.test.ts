// Pass 1's copy of a gzip input's inflated bytes (read by ranges in pass 2) and the run's memory budget for it.
import { describe, expect, it } from 'vitest';
import { INFLATED_BLOCK_BYTES, InflatedCopy, inflatedBudget, inflatedRangeChunks } from '../../src/pipeline/inflated-copy.js';

const bytes = (n: number, seed: number) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};

describe('InflatedCopy', () => {
  it('keeps chunks across block ends and gives any range back as it was', () => {
    const budget = inflatedBudget(4 * INFLATED_BLOCK_BYTES);
    const data = bytes(2 * INFLATED_BLOCK_BYTES + 12345, 7);
    const copy = new InflatedCopy(budget);
    // Chunks of odd sizes, one larger than a block.
    for (let at = 0, k = 0; at < data.length; k++) {
      const n = [1 << 20, 3, INFLATED_BLOCK_BYTES + 5, 777_777][k % 4];
      copy.add(data.subarray(at, Math.min(data.length, at + n)));
      at += n;
    }
    const mem = copy.result()!;
    expect(mem.length).toBe(data.length);
    expect(mem.blocks.length).toBe(3);
    expect(budget[0]).toBe(1);
    for (const [from, to] of [[0, undefined], [INFLATED_BLOCK_BYTES - 10, INFLATED_BLOCK_BYTES + 10], [5, 6], [data.length - 3, data.length + 100], [100, 100]] as Array<[number, number | undefined]>) {
      const chunks = [...inflatedRangeChunks(mem, from, to)];
      expect(chunks.every((c) => c.length <= 1 << 20 && c.length > 0)).toBe(true);
      expect(Buffer.concat(chunks).equals(data.subarray(from, to === undefined ? undefined : Math.min(to, data.length)))).toBe(true);
    }
  });

  it('gives up over the budget, hands its blocks back, and leaves the budget to the next input', () => {
    const budget = inflatedBudget(2 * INFLATED_BLOCK_BYTES);
    const big = new InflatedCopy(budget);
    big.add(bytes(INFLATED_BLOCK_BYTES + 1, 1));
    expect(budget[0]).toBe(0);
    big.add(bytes(INFLATED_BLOCK_BYTES, 2)); // needs a third block
    expect(big.result()).toBeNull();
    big.add(bytes(10, 3)); // still nothing kept
    expect(big.result()).toBeNull();
    expect(budget[0]).toBe(2);
    const small = new InflatedCopy(budget);
    small.add(bytes(1000, 4));
    expect(small.result()!.length).toBe(1000);
    expect(budget[0]).toBe(1);
    // No budget at all: nothing is kept.
    const none = new InflatedCopy(inflatedBudget(0));
    none.add(bytes(1, 5));
    expect(none.result()).toBeNull();
  });
});
