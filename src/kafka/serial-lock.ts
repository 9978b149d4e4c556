import { setTimeout as sleep } from 'node:timers/promises';

/** How often a waiter heartbeats the consumer group, well inside any session timeout we allow. */
export const HEARTBEAT_EVERY_MS = 1000;

/**
 * One at a time: batches, idle drains and commits of a stream job run in the order they asked, never
 * interleaved (kafkajs' runner serialises a partition's batches; this also serialises them with the
 * job's own timers). A failed holder releases the lock; the next one runs anyway.
 */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  /** Run `fn` once every earlier holder is done; while waiting, `heartbeat` keeps the group session alive. */
  async run<T>(fn: () => Promise<T>, heartbeat?: () => Promise<void>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.tail = prev.then(() => mine);
    try {
      if (heartbeat) await whileHeartbeating(prev.catch(() => {}), heartbeat);
      else await prev.catch(() => {});
      return await fn();
    } finally {
      release();
    }
  }
}

/** Await `p`, heartbeating every HEARTBEAT_EVERY_MS so a slow sink does not cost the partitions. */
export async function whileHeartbeating<T>(p: Promise<T>, heartbeat?: () => Promise<void>): Promise<T> {
  let settled = false;
  const guarded = p.finally(() => (settled = true));
  for (;;) {
    const r = await Promise.race([guarded.then(() => 'done' as const), sleep(HEARTBEAT_EVERY_MS).then(() => 'tick' as const)]);
    if (r === 'done' || settled) return guarded;
    if (heartbeat) await heartbeat().catch(() => {});
  }
}
