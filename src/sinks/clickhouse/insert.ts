import { Readable } from 'node:stream';
import { requireCjs } from '../../domain/cjs.js';
import type { ClickHouseStore } from './connect.js';
import { encodeRowBinary } from './row-binary.js';
import type { Row } from './rows.js';
import { COLUMNS, type InsertTable } from './schema.js';

const { drainStream } = requireCjs('@clickhouse/client') as typeof import('@clickhouse/client');

/**
 * One insert of rows into one of our tables, naming its columns: RowBinary to a server (exact Float64 on
 * 18.16, see row-binary.ts), JSONEachRow to chDB. The caller keeps a block within one partition.
 */
export async function insertRows(store: ClickHouseStore, table: InsertTable, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = COLUMNS[table];
  const names = columns.map(([n]) => n);
  const target = `${store.database}.${table}`;
  if (store.kind === 'server') {
    const body = encodeRowBinary(columns, rows);
    const res = await store.client.exec({
      query: `INSERT INTO ${target} (${names.join(', ')}) FORMAT RowBinary`,
      values: Readable.from([body]),
    });
    await drainStream(res.stream);
    return;
  }
  await store.client.insert({ table: target, format: 'JSONEachRow', values: rows as Row[], columns: names as [string, ...string[]] });
}
