import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../src/engine/key-index.js';

describe('KeyIndex', () => {
  it('behaves like a Map under any sequence of inserts and removals', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 40 }).map((k) => 35e12 + k * 4294967296)), { maxLength: 300 }), (ops) => {
        const idx = new KeyIndex(4);
        const ref = new Map<number, number>();
        ops.forEach(([insert, key], n) => {
          const pos = idx.find(key);
          expect(pos >= 0).toBe(ref.has(key));
          if (insert && pos < 0) {
            idx.insert(key, n, n);
            ref.set(key, n);
          } else if (!insert && pos >= 0) {
            idx.removeAt(pos);
            ref.delete(key);
          }
          expect(idx.size).toBe(ref.size);
        });
        for (const [key, head] of ref) expect(idx.heads[idx.find(key)]).toBe(head);
      }),
      { numRuns: 300 },
    );
  });
});
