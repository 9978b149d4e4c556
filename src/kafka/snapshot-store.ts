import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DedupState } from '../engine/engine.js';
import type { Logger } from '../ops/log.js';

/** A snapshot file of one partition's suppression and candidate state (stream.stateDir). */
export interface DedupSnapshot {
  v: 1;
  /** Every output derived from messages before this offset was confirmed by every sink when it was taken. */
  offset: number;
  state: DedupState;
}

/**
 * The per-partition snapshot files of `run --state-dir`: one JSON file per (group, topic, partition),
 * replaced atomically (write, then rename). Without a directory it stores nothing and finds nothing.
 */
export class SnapshotStore {
  constructor(
    private readonly dir: string | null | undefined,
    private readonly groupId: string,
    private readonly topic: string,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return !!this.dir;
  }

  path(partition: number): string | null {
    if (!this.dir) return null;
    const safe = (x: string) => x.replace(/[^A-Za-z0-9._-]/g, '_');
    return join(this.dir, `${safe(this.groupId)}__${safe(this.topic)}__${partition}.json`);
  }

  /** The partition's snapshot; null when there is none or it cannot be used (then the reason is logged). */
  load(partition: number): DedupSnapshot | null {
    const path = this.path(partition);
    if (!path) return null;
    try {
      const s = JSON.parse(readFileSync(path, 'utf8')) as DedupSnapshot;
      if (s.v === 1 && Number.isSafeInteger(s.offset) && s.state && Array.isArray(s.state.suppression)) return s;
      this.log.warn('ignoring a snapshot of another format', { path });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn('cannot read a state snapshot; rebuilding from the window only', { path, error: (err as Error).message });
    }
    return null;
  }

  /** Write the partition's snapshot; false (logged) when it cannot be written. */
  save(partition: number, offset: number, state: DedupState): boolean {
    const path = this.path(partition);
    if (!path || !this.dir) return false;
    try {
      mkdirSync(this.dir, { recursive: true });
      const snap: DedupSnapshot = { v: 1, offset, state };
      writeFileSync(path + '.tmp', JSON.stringify(snap));
      renameSync(path + '.tmp', path);
      return true;
    } catch (err) {
      this.log.warn('cannot write a state snapshot', { path, error: (err as Error).message });
      return false;
    }
  }
}
