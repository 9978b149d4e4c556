/**
 * An empty array that already holds objects as far as V8 is concerned. A new `[]` holds small integers until
 * its first push of an object or string changes its map, and in a hot loop that change makes V8 throw away
 * the compiled code that pushes to it (deopt "wrong map" / "not a Smi"), once for every new array. Use it for
 * arrays made again and again and filled in hot code.
 */
export function objectArray<T>(): T[] {
  const a: T[] = [null as T];
  a.pop();
  return a;
}

/** An empty array that holds doubles as far as V8 is concerned (see objectArray): for times in ms and the like. */
export function doubleArray(): number[] {
  const a = [0.5];
  a.pop();
  return a;
}

/**
 * Call once, first thing, in a thread that will transfer ArrayBuffers (postMessage with a transfer list).
 * V8 compiles typed-array code assuming no ArrayBuffer was ever detached, and the first detach in a thread
 * throws away all of that thread's optimised code at once (measured: every function of the CSV reader, in
 * each parse worker, in the middle of pass 1; and the main thread's at its first recycled batch). Detaching
 * a small buffer at the start makes V8 compile for detachable buffers from the beginning, once.
 */
export function expectDetachedBuffers(): void {
  const b = new ArrayBuffer(8);
  structuredClone(b, { transfer: [b] });
}
