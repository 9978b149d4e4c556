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

  it('sizes the sets by the input: more bytes, more bits, within bounds', () => {
    expect(RepeatedIds.bitsFor(0)).toBe(1 << 16);
    expect(RepeatedIds.bitsFor(100e6)).toBeGreaterThanOrEqual((100e6 / 96) * 8);
    expect(RepeatedIds.bitsFor(1e15)).toBe(2 ** 30);
  });
});
