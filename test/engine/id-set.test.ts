import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idHashString } from '../../src/domain/identity.js';
import { IdSet } from '../../src/engine/id-set.js';

describe('IdSet', () => {
  it('behaves like a Set under any sequence of adds and deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 6 })), { maxLength: 400 }), (ops) => {
        const mine = new IdSet(4);
        const ref = new Set<string>();
        for (const [add, id] of ops) {
          const h = idHashString(id);
          if (add && !ref.has(id)) {
            mine.add(id, h);
            ref.add(id);
          } else if (!add) {
            expect(mine.delete(id, h)).toBe(ref.delete(id));
          }
          expect(mine.size).toBe(ref.size);
        }
        for (const [, id] of ops) expect(mine.has(id, idHashString(id))).toBe(ref.has(id));
      }),
      { numRuns: 300 },
    );
  });

  it('tells apart different ids whose hashes collide', () => {
    const s = new IdSet(4);
    s.add('a', 7);
    expect(s.has('b', 7)).toBe(false);
    s.add('b', 7);
    expect(s.delete('a', 7)).toBe(true);
    expect(s.has('b', 7)).toBe(true);
    expect(s.has('a', 7)).toBe(false);
  });
});
