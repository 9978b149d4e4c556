// The stream job's small parts, without Kafka: serial lock, crash budget, snapshot store.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CrashBudget } from '../../src/kafka/crash-budget.js';
import { HEARTBEAT_EVERY_MS, SerialLock, whileHeartbeating } from '../../src/kafka/serial-lock.js';
import { SnapshotStore } from '../../src/kafka/snapshot-store.js';
import { createLogger } from '../../src/ops/log.js';

describe('SerialLock', () => {
  it('runs holders one at a time in the order they asked, and a failed holder releases the lock', async () => {
    const lock = new SerialLock();
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = lock.run(async () => {
      seen.push('a start');
      await gate;
      seen.push('a end');
    });
    const b = lock.run(async () => {
      seen.push('b');
      throw new Error('b failed');
    });
    const c = lock.run(async () => {
      seen.push('c');
      return 3;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['a start']);
    release();
    await a;
    await expect(b).rejects.toThrow('b failed');
    expect(await c).toBe(3);
    expect(seen).toEqual(['a start', 'a end', 'b', 'c']);
  });
});

describe('heartbeats while waiting', () => {
  it('a waiter heartbeats every period until the lock is free, then never again; a free lock runs at once', async () => {
    vi.useFakeTimers();
    try {
      const lock = new SerialLock();
      let beats = 0;
      const heartbeat = async () => void beats++;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const a = lock.run(() => gate);
      let bRan = false;
      const b = lock.run(async () => void (bRan = true), heartbeat);
      await vi.advanceTimersByTimeAsync(HEARTBEAT_EVERY_MS * 2.5);
      expect(beats).toBe(2);
      expect(bRan).toBe(false);
      release();
      await a;
      await b;
      expect(bRan).toBe(true);
      await vi.advanceTimersByTimeAsync(HEARTBEAT_EVERY_MS * 3);
      expect(beats).toBe(2);
      expect(vi.getTimerCount()).toBe(0);
      // Nobody holds it: no wait, no timer, no heartbeat.
      let ran = false;
      const c = lock.run(async () => void (ran = true), heartbeat);
      expect(vi.getTimerCount()).toBe(0);
      await c;
      expect(ran).toBe(true);
      expect(beats).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('whileHeartbeating returns what the promise gives, or its error, and leaves no timer', async () => {
    vi.useFakeTimers();
    try {
      const hb = async () => {};
      expect(await whileHeartbeating(Promise.resolve(7), hb)).toBe(7);
      await expect(whileHeartbeating(Promise.reject(new Error('sink down')), hb)).rejects.toThrow('sink down');
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('CrashBudget', () => {
  it('allows max crashes within the period, refuses the next, and forgets crashes older than the period', () => {
    const b = new CrashBudget(2, 1000);
    expect(b.spend(0)).toBe(true);
    expect(b.spend(10)).toBe(true);
    expect(b.spend(20)).toBe(false);
    expect(b.recent).toBe(2);
    expect(b.spend(1005)).toBe(true); // the crash at 0 left the period
    expect(b.recent).toBe(2);
  });
});

describe('SnapshotStore', () => {
  const log = createLogger('error');
  const state = { suppression: [['k|1|2|simultaneity', 5]] as Array<[string, number]>, candidates: [] };

  it('writes and reads back a partition snapshot, one file per group, topic and partition, no temp file left', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'snap-')), 'state');
    const s = new SnapshotStore(dir, 'group/1', 'cdrs', log);
    expect(s.load(3)).toBeNull();
    expect(s.save(3, 120, state)).toBe(true);
    expect(s.load(3)).toEqual({ v: 1, offset: 120, state });
    expect(readdirSync(dir)).toEqual(['group_1__cdrs__3.json']);
  });

  it('ignores a file of another format or unreadable JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snap-'));
    const s = new SnapshotStore(dir, 'g', 't', log);
    writeFileSync(s.path(0)!, JSON.stringify({ v: 2 }));
    expect(s.load(0)).toBeNull();
    writeFileSync(s.path(0)!, '{');
    expect(s.load(0)).toBeNull();
  });

  it('stores nothing without a directory', () => {
    const s = new SnapshotStore(undefined, 'g', 't', log);
    expect(s.enabled).toBe(false);
    expect(s.save(0, 1, state)).toBe(false);
    expect(s.load(0)).toBeNull();
  });
});
