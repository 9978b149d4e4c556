import { describe, expect, it } from 'vitest';
import { stickyAssign } from '../../src/kafka/sticky-assigner.js';

const P = (n: number) => Array.from({ length: n }, (_, i) => i);
const counts = (r: Record<string, Record<string, number[]>>, t = 'cdrs') => Object.values(r).map((a) => a[t].length).sort();
const all = (r: Record<string, Record<string, number[]>>, t = 'cdrs') => Object.values(r).flatMap((a) => a[t]).sort((a, b) => a - b);

describe('stickyAssign', () => {
  it('gives every partition to exactly one member, balanced within one', () => {
    for (const [p, n] of [[4, 1], [4, 3], [64, 5], [3, 4], [0, 2]]) {
      const r = stickyAssign({ cdrs: P(p) }, Array.from({ length: n }, (_, i) => ({ memberId: `m${i}`, owned: {} })));
      expect(all(r)).toEqual(P(p));
      const c = counts(r);
      expect(c[c.length - 1] - c[0]).toBeLessThanOrEqual(1);
    }
  });

  it('a joining member takes only what balance needs; the others keep the rest', () => {
    const r = stickyAssign({ cdrs: P(64) }, [
      { memberId: 'b', owned: { cdrs: P(32) } },
      { memberId: 'c', owned: { cdrs: P(64).slice(32) } },
      { memberId: 'a', owned: {} },
    ]);
    expect(counts(r)).toEqual([21, 21, 22]);
    expect(r.b.cdrs.every((p) => p < 32)).toBe(true);
    expect(r.c.cdrs.every((p) => p >= 32)).toBe(true);
    expect(all(r)).toEqual(P(64));
  });

  it('a leaving member’s partitions are spread; the others keep theirs', () => {
    const r = stickyAssign({ cdrs: P(6) }, [
      { memberId: 'x', owned: { cdrs: [0, 1] } },
      { memberId: 'y', owned: { cdrs: [2, 3] } },
    ]);
    expect(r.x.cdrs.slice(0, 2)).toEqual([0, 1]);
    expect(r.y.cdrs.filter((p) => p === 2 || p === 3)).toEqual([2, 3]);
    expect(all(r)).toEqual(P(6));
  });

  it('ignores stale or doubly claimed partitions', () => {
    const r = stickyAssign({ cdrs: P(4) }, [
      { memberId: 'a', owned: { cdrs: [0, 1, 9] } },
      { memberId: 'b', owned: { cdrs: [1, 2] } },
    ]);
    expect(all(r)).toEqual(P(4));
    expect(r.a.cdrs).toEqual([0, 1]);
    expect(r.b.cdrs).toEqual([2, 3]);
  });
});
