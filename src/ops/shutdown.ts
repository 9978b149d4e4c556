import type { Logger } from './log.js';

/**
 * The stop policy of the long-running commands (`run`, `route`): the first SIGTERM/SIGINT asks for a
 * graceful stop, a second exits at once (130); once the stop has begun, the process ends within
 * `timeoutMs` whatever hangs. Extra signal handlers (SIGHUP reload) are installed and removed with it.
 */
export interface GracefulStop {
  /** Resolves on the first stop signal. */
  readonly asked: Promise<void>;
  /** Start the bounded shutdown: exit 1 if `release()` is not called within the timeout. */
  begin(): void;
  /** Remove the handlers and the timer (idempotent). */
  release(): void;
}

export function gracefulStop(log: Logger, timeoutMs: number, extra: Partial<Record<NodeJS.Signals, () => void>> = {}): GracefulStop {
  let signalled = false;
  let wake!: () => void;
  const asked = new Promise<void>((r) => (wake = r));
  const onStop = (sig: NodeJS.Signals) => {
    if (signalled) {
      log.warn('second signal: exiting at once', { signal: sig });
      process.exit(130);
    }
    signalled = true;
    log.info('stopping gracefully', { signal: sig, timeoutMs });
    wake();
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  const extras = Object.entries(extra) as Array<[NodeJS.Signals, () => void]>;
  for (const [sig, fn] of extras) process.on(sig, fn);
  let killer: NodeJS.Timeout | null = null;
  return {
    asked,
    begin() {
      if (killer) return;
      killer = setTimeout(() => {
        log.error('graceful shutdown timed out; exiting without a final commit', { timeoutMs });
        process.exit(1);
      }, timeoutMs);
      killer.unref();
    },
    release() {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      for (const [sig, fn] of extras) process.off(sig, fn);
      if (killer) clearTimeout(killer);
    },
  };
}
