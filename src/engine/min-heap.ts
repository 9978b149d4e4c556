/** The order of a MinHeap: an object with a method (not a closure per heap, see MinHeap). */
export interface HeapOrder<T> {
  less(a: T, b: T): boolean;
}

/**
 * A binary min-heap ordered by `order.less`. The order is an object of a class, not a closure made for each
 * heap: every engine has its own heaps, and a call through a closure field is compiled for the first closure
 * it sees (a warm-up engine's), then thrown away when the next engine's closure comes.
 */
export class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly order: HeapOrder<T>) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(x: T): void {
    const a = this.items;
    const order = this.order;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!order.less(x, a[p])) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const order = this.order;
    const top = a[0];
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && order.less(a[r], a[l]) ? r : l;
        if (!order.less(a[c], last)) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/** Numbers, smallest first. */
export class AscendingNumbers implements HeapOrder<number> {
  less(a: number, b: number): boolean {
    return a < b;
  }
}
