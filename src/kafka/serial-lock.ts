/** How often a waiter heartbeats the consumer group, well inside any session timeout we allow. */
export const HEARTBEAT_EVERY_MS = 1000;

/**
 * One at a time: batches, idle drains and commits of a stream job run in the order they asked, never
 * interleaved (kafkajs' runner serialises a partition's batches; this also serialises them with the
 * job's own timers). A failed holder releases the lock; the next one runs anyway.
 */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();
  /** Holders that asked and have not released yet. */
  private holders = 0;

  /** Run `fn` once every earlier holder is done; while waiting, `heartbeat` keeps the group session alive. */
  async run<T>(fn: () => Promise<T>, heartbeat?: () => Promise<void>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.tail = prev.then(() => mine);
    // The usual case in a busy stream: nobody holds the lock, so there is nothing to wait (or heartbeat) for.
    const free = this.holders === 0;
    this.holders++;
    try {
      if (!free) {
        if (heartbeat) await whileHeartbeating(prev.catch(() => {}), heartbeat);
        else await prev.catch(() => {});
      }
      return await fn();
    } finally {
      this.holders--;
      release();
    }
  }
}

/**
 * Await `p`, heartbeating every HEARTBEAT_EVERY_MS so a slow sink does not cost the partitions. One timer
 * per wait, cleared when `p` settles (a batch's wait is usually much shorter than a heartbeat period).
 */
export async function whileHeartbeating<T>(p: Promise<T>, heartbeat?: () => Promise<void>): Promise<T> {
  if (!heartbeat) return p;
  let timer: NodeJS.Timeout | null = null;
  let settled = false;
  const arm = (): void => {
    timer = setTimeout(() => {
      void heartbeat()
        .catch(() => {})
        .finally(() => {
          if (!settled) arm();
        });
    }, HEARTBEAT_EVERY_MS);
  };
  arm();
  try {
    return await p;
  } finally {
    settled = true;
    if (timer !== null) clearTimeout(timer);
  }
}
