import type { Config } from '../../config/schema.js';
import type { Sink } from '../sink.js';
import { ClickHouseSink } from './clickhouse-sink.js';
import { ClickHouseStoreError, firstLine, openStore } from './connect.js';
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
    await ensureSchema(store);
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
