import type { Config } from '../../config/schema.js';
import type { Sink } from '../sink.js';
import { ClickHouseSink } from './clickhouse-sink.js';
import { ClickHouseStoreError, firstLine, openStore, type ClickHouseStore } from './connect.js';
import { backoffMs, failureName, isRetriable } from './retry.js';
import { ensureSchema } from './schema.js';

export { ClickHouseSink, type Outage } from './clickhouse-sink.js';
export { ClickHouseStoreError, openStore, type ClickHouseStore } from './connect.js';
export { ensureSchema, SCHEMA_VERSION } from './schema.js';

/**
 * Open the ClickHouse store of `cfg.target` (server URL or chDB directory), create or upgrade the schema,
 * and return a sink for one run. Throws a ClickHouseStoreError with a one-line message starting "cannot
 * open ClickHouse:" when the store cannot be used (a busy chDB directory, a server that refuses the schema,
 * bad credentials...).
 */
export async function openClickHouseSink(
  cfg: Config['clickhouse'],
  opts: { runId: string; log?: (line: string) => void },
): Promise<Sink> {
  try {
    return await openSink(cfg, opts);
  } catch (err) {
    const e = err instanceof ClickHouseStoreError ? err : new ClickHouseStoreError(firstLine((err as Error)?.message ?? String(err)), 'OPEN_FAILED', false, { cause: err });
    throw new ClickHouseStoreError(`cannot open ClickHouse: ${e.message}`, e.code, e.retriable, { cause: e });
  }
}

async function openSink(cfg: Config['clickhouse'], opts: { runId: string; log?: (line: string) => void }): Promise<Sink> {
  const store = await openStore(cfg);
  try {
    await prepareWithRetry(store, cfg.retryForMs, opts.log);
  } catch (err) {
    await store.close().catch(() => {});
    if (err instanceof ClickHouseStoreError) throw err;
    const msg = firstLine((err as Error)?.message ?? String(err));
    throw new ClickHouseStoreError(`cannot prepare ClickHouse (${store.label}, database ${store.database}): ${msg}`, 'SCHEMA', false, {
      cause: err,
    });
  }
  return new ClickHouseSink(store, cfg, opts);
}

/**
 * A server that is down or restarting when a run starts is waited for, as an outage during the run is: the
 * schema step is retried with backoff for up to `retryForMs` (said once on the log), then the run fails with
 * one line. An error retrying cannot fix (wrong password, refused DDL) fails at once.
 */
async function prepareWithRetry(store: ClickHouseStore, retryForMs: number, log?: (line: string) => void): Promise<void> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      await ensureSchema(store);
      if (attempt > 0) log?.(`ClickHouse ${store.label} answered after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    } catch (err) {
      if (!isRetriable(err)) throw err;
      const waited = Date.now() - started;
      if (waited >= retryForMs) {
        throw new ClickHouseStoreError(
          `ClickHouse ${store.label} unreachable for ${(waited / 1000).toFixed(1)} s (${failureName(err)}); gave up after clickhouse.retryForMs = ${retryForMs} ms`,
          'UNREACHABLE',
          true,
          { cause: err },
        );
      }
      if (attempt === 0) log?.(`ClickHouse ${store.label} unreachable (${failureName(err)}): retrying for up to ${Math.round(retryForMs / 1000)} s (clickhouse.retryForMs)`);
      await new Promise((r) => setTimeout(r, Math.min(backoffMs(attempt), Math.max(0, retryForMs - waited))));
    }
  }
}
