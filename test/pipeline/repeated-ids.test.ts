// Pass 1's record_id bit sets: a record_id whose hash is not marked "seen again" occurs once in the input, so
// pass 2 skips its duplicate check. Marking too much only costs time; missing a repeat would let a duplicate
// delivery through, so the merge of several threads' sets must never lose one.
import { describe, expect, it } from 'vitest';
import { RepeatedIds } from '../../src/pipeline/repeated-ids.js';
import { idHashString } from '../../src/domain/identity.js';

describe('RepeatedIds', () => {
  it('marks a hash seen twice, and only that one', () => {
    const ids = RepeatedIds.create(1 << 16);
    ids.note(idHashString('a'));
    ids.note(idHashString('b'));
    ids.note(idHashString('a'));
    expect(ids.mayRepeat(idHashString('a'))).toBe(true);
    expect(ids.mayRepeat(idHashString('b'))).toBe(false);
    expect(ids.mayRepeat(idHashString('never'))).toBe(false);
  });

  it('merges the sets of several threads: seen by two of them, or twice by one, is seen again', () => {
    const parts = [RepeatedIds.create(1 << 16), RepeatedIds.create(1 << 16), RepeatedIds.create(1 << 16)];
    const note = (p: number, id: string) => parts[p].note(idHashString(id));
    note(0, 'only-a');
    note(0, 'across');
    note(1, 'across');
    note(1, 'twice-in-b');
    note(1, 'twice-in-b');
    note(2, 'first-and-last');
    note(0, 'first-and-last');
    note(2, 'only-c');
    const merged = RepeatedIds.merge(parts.map((p) => p.buffers));
    for (const id of ['across', 'twice-in-b', 'first-and-last']) expect(merged.mayRepeat(idHashString(id)), id).toBe(true);
    for (const id of ['only-a', 'only-c']) expect(merged.mayRepeat(idHashString(id)), id).toBe(false);
    expect(merged.buffers.again).toBeInstanceOf(SharedArrayBuffer);
  });

  it('merges shared sets into the first one in place, with the same answers as into new memory', () => {
    const ids = Array.from({ length: 3000 }, (_, i) => `id-${i % 1700}`);
    const fill = (shared: boolean) => {
      const parts = [RepeatedIds.create(1 << 16, shared), RepeatedIds.create(1 << 16, shared)];
      ids.forEach((id, i) => parts[i % 5 === 0 ? 1 : 0].note(idHashString(id)));
      return parts;
    };
    const plain = RepeatedIds.merge(fill(false).map((p) => p.buffers));
    const sharedParts = fill(true);
    const inPlace = RepeatedIds.merge(sharedParts.map((p) => p.buffers));
    // The first part's memory is the result (what pass 1's first worker filled, handed to every worker).
    expect(inPlace.buffers.seen).toBe(sharedParts[0].buffers.seen);
    expect(inPlace.buffers.again).toBe(sharedParts[0].buffers.again);
    expect(plain.buffers.seen).not.toBe(sharedParts[0].buffers.seen);
    let repeats = 0;
    for (const id of [...ids, 'never-seen', 'id-9999-0']) {
      const h = idHashString(id);
      expect(inPlace.mayRepeat(h), id).toBe(plain.mayRepeat(h));
      if (plain.mayRepeat(h)) repeats++;
    }
    expect(repeats).toBeGreaterThan(1000);
    // A warm-up of the merge touches nothing of a run's.
    RepeatedIds.warmUpMerge();
    expect(inPlace.mayRepeat(idHashString('never-seen'))).toBe(false);
  });

  it('sizes the sets by the input: more bytes, more bits, within bounds', () => {
    expect(RepeatedIds.bitsFor(0)).toBe(1 << 16);
    expect(RepeatedIds.bitsFor(100e6)).toBeGreaterThanOrEqual((100e6 / 96) * 8);
    expect(RepeatedIds.bitsFor(1e15)).toBe(2 ** 30);
  });
});
