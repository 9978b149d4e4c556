import type { BlockCandidate, Finding, Reject } from '../../domain/types.js';
import type { ClickHouseStore } from './connect.js';
import { rowToCandidate, rowToFinding, rowToReject, type Row } from './rows.js';

/**
 * Read the stored outputs back as the records they came from (after FINAL, so each key once). Used by
 * the integration tests to compare ClickHouse with the NDJSON files, and by tools that export a store.
 */

/**
 * 18.16 quotes UInt64 in JSON by default, chDB does not (and JSON.parse would lose digits of an H3 index).
 * FINAL on 18.16 opens a read buffer per column per part (1 MB each by default): `SELECT *` over 150 daily
 * partitions asks for 9 GB and fails with MEMORY_LIMIT_EXCEEDED. 64 KB buffers keep it small.
 */
export const READ_SETTINGS = { output_format_json_quote_64bit_integers: 1, max_read_buffer_size: '65536' } as const;

export async function selectRows(store: ClickHouseStore, query: string): Promise<Row[]> {
  const rs = await store.client.query({ query, format: 'JSONEachRow', clickhouse_settings: READ_SETTINGS });
  return (await rs.json()) as Row[];
}

export async function readFindings(store: ClickHouseStore, where = '1'): Promise<Finding[]> {
  const rows = await selectRows(store, `SELECT * FROM ${store.database}.suspected_clones FINAL WHERE ${where} ORDER BY finding_id`);
  return rows.map(rowToFinding);
}

export async function readCandidates(store: ClickHouseStore, where = '1'): Promise<BlockCandidate[]> {
  const rows = await selectRows(
    store,
    `SELECT * FROM ${store.database}.block_candidates FINAL WHERE ${where} ORDER BY imei, emitted_at_ms, findings`,
  );
  return rows.map(rowToCandidate);
}

export async function readRejects(store: ClickHouseStore, where = '1'): Promise<Reject[]> {
  const rows = await selectRows(store, `SELECT * FROM ${store.database}.rejected_cdrs FINAL WHERE ${where} ORDER BY source, line`);
  return rows.map(rowToReject);
}

/** Rows of a table, with FINAL (after dedup) or without (every inserted copy not yet merged). */
export async function countRows(store: ClickHouseStore, table: string, final: boolean, where = '1'): Promise<number> {
  const rows = await selectRows(
    store,
    `SELECT toString(count()) AS n FROM ${store.database}.${table}${final ? ' FINAL' : ''} WHERE ${where}`,
  );
  return Number(rows[0]?.n ?? 0);
}
