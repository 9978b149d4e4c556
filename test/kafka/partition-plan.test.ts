// planPartition decides, without Kafka, what a stream does with a partition a new group generation hands it.
import { describe, expect, it } from 'vitest';
import { parseRebuildMeta, planPartition } from '../../src/kafka/partition-plan.js';

const meta = (from: number, wm: number | null = 1_000, drained = false) => JSON.stringify({ v: 1, from, wm, drained });

describe('planPartition', () => {
  it('reuses a state that continues exactly at the committed offset with nothing uncommitted', () => {
    expect(planPartition(120, meta(100), { nextOffset: 120, dirty: false }, 120)).toEqual({ action: 'reuse' });
  });

  it('does not reuse a state with uncommitted offsets (another member may have processed them since)', () => {
    const p = planPartition(120, meta(100), { nextOffset: 120, dirty: true }, 120);
    expect(p.action).toBe('rebuild');
  });

  it('does not reuse a state that stands elsewhere than the commit', () => {
    expect(planPartition(150, meta(100), { nextOffset: 120, dirty: false }, 150).action).toBe('rebuild');
  });

  it('rebuilds from the metadata start up to the commit, seeking back when the batch starts elsewhere', () => {
    expect(planPartition(150, meta(100, 5_000, true), null, 150)).toEqual({
      action: 'rebuild',
      start: { from: 100, rebuildUntil: 150, wmMs: 5_000, drained: true },
      seekTo: 100,
    });
  });

  it('rebuilds without a seek when the batch starts at the metadata start', () => {
    const p = planPartition(150, meta(100), null, 100);
    expect(p).toMatchObject({ action: 'rebuild', seekTo: null });
  });

  it('starts empty at the commit when the metadata has nothing to re-read (from == committed), keeping its watermark', () => {
    expect(planPartition(150, meta(150, 7_000), null, 150)).toEqual({
      action: 'start',
      start: { from: 150, rebuildUntil: 150, wmMs: 7_000, drained: true },
      seekTo: null,
      metadataMissing: false,
    });
  });

  it('starts empty at the commit and says so when a commit has no (or foreign) metadata', () => {
    for (const m of [null, '', 'not json', JSON.stringify({ v: 2, from: 1 })]) {
      expect(planPartition(150, m, null, 150)).toEqual({
        action: 'start',
        start: { from: 150, rebuildUntil: 150, wmMs: null, drained: true },
        seekTo: null,
        metadataMissing: true,
      });
    }
  });

  it('starts at the batch when nothing is committed, without a seek and without a warning', () => {
    expect(planPartition(-1, null, null, 42)).toEqual({
      action: 'start',
      start: { from: 42, rebuildUntil: 42, wmMs: null, drained: true },
      seekTo: null,
      metadataMissing: false,
    });
  });

  it('seeks forward to the commit when the batch starts before it', () => {
    expect(planPartition(150, null, null, 90)).toMatchObject({ action: 'start', seekTo: 150 });
  });

  it('a commit at offset 0 without metadata is not worth a warning (nothing was processed)', () => {
    expect(planPartition(0, null, null, 0)).toMatchObject({ action: 'start', metadataMissing: false });
  });
});

describe('parseRebuildMeta', () => {
  it('reads what a commit writes and refuses anything else', () => {
    expect(parseRebuildMeta(meta(3, null, true))).toEqual({ v: 1, from: 3, wm: null, drained: true });
    for (const bad of [undefined, null, '', '{', '{"v":1,"from":-1,"wm":null,"drained":true}', '{"v":1,"from":1.5,"wm":null,"drained":true}', '{"v":1,"from":1,"wm":"x","drained":true}', '{"v":1,"from":1,"wm":null}']) {
      expect(parseRebuildMeta(bad)).toBeNull();
    }
  });

  it('forgets a watermark past the latest plausible time, so a poisoned commit does not make every CDR late again', () => {
    const poisoned = Date.parse('9999-12-31T00:00:00Z');
    const now = Date.parse('2026-03-02T00:00:00Z');
    const p = planPartition(150, meta(100, poisoned, true), null, 100, now + 86_400_000);
    expect(p).toMatchObject({ action: 'rebuild', start: { wmMs: null } });
    const s = planPartition(150, meta(150, poisoned, true), null, 150, now + 86_400_000);
    expect(s).toMatchObject({ action: 'start', start: { wmMs: null } });
    expect(planPartition(150, meta(100, now, true), null, 100, now + 86_400_000)).toMatchObject({ start: { wmMs: now } });
  });
});
