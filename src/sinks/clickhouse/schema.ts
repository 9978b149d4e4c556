import { REJECT_REASONS, RULES } from '../../domain/types.js';
import { sqlString, type ClickHouseStore } from './connect.js';

/**
 * The ClickHouse schema of clonewatch, created and upgraded by the program.
 *
 * It must run on every ClickHouse from 18.16 (Debian) to current chDB, so it uses only DateTime('UTC'),
 * Date, Enum8, String, Float64, Nullable, Array, UInt64 and the MergeTree family; one statement per query.
 * DateTime has whole seconds, so each time also has an `*_ms` column (epoch milliseconds) that keeps the
 * record exact; the DateTime column is the one to group and filter by.
 */

function enum8(values: readonly string[]): string {
  return `Enum8(${values.map((v, i) => `'${v}' = ${i + 1}`).join(', ')})`;
}

export const RULE_ENUM = enum8(RULES);
export const REASON_ENUM = enum8(REJECT_REASONS);
const MODE_ENUM = enum8(['detect', 'run']);

/**
 * Column name and type of each table that rows are inserted into, in insert order (inserts name their
 * columns, so the order of a table on disk does not matter). A later migration that adds a column appends
 * it here and names it in its `addColumns` (added only where missing, 18.16 has no ADD COLUMN IF NOT EXISTS),
 * since migration 1 creates tables from this list.
 */
export const COLUMNS = {
  suspected_clones: [
    ['imei', 'String'],
    ['imei_reported_a', 'String'],
    ['imei_reported_b', 'String'],
    ['rule', RULE_ENUM],
    ['imsi_a', 'String'],
    ['imsi_b', 'String'],
    ['msisdn_a', 'String'],
    ['msisdn_b', 'String'],
    ['record_a', 'String'],
    ['record_b', 'String'],
    ['time_a', "DateTime('UTC')"],
    ['time_b', "DateTime('UTC')"],
    ['time_a_ms', 'UInt64'],
    ['time_b_ms', 'UInt64'],
    ['cell_a', 'Nullable(String)'],
    ['cell_b', 'Nullable(String)'],
    ['lat_a', 'Nullable(Float64)'],
    ['lon_a', 'Nullable(Float64)'],
    ['lat_b', 'Nullable(Float64)'],
    ['lon_b', 'Nullable(Float64)'],
    ['h3_a', 'UInt64'],
    ['h3_b', 'UInt64'],
    ['distance_km', 'Nullable(Float64)'],
    ['gap_s', 'Float64'],
    ['overlap_s', 'Float64'],
    ['speed_kmh', 'Nullable(Float64)'],
    ['exempt_imsis', 'Array(String)'],
    ['detected_at', "DateTime('UTC')"],
    ['detected_at_ms', 'UInt64'],
    ['finding_id', 'String'],
    ['run_id', 'String'],
    // Migration 3 (Art. 22(c) criteria): fields only some rules fill, null for the others.
    ['imsi_count', 'Nullable(UInt64)'],
    ['radio', 'Nullable(String)'],
    ['tac_radios', 'Nullable(String)'],
  ],
  block_candidates: [
    ['imei', 'String'],
    ['imsis', 'Array(String)'],
    ['exempt_imsis', 'Array(String)'],
    ['rules', 'Array(String)'],
    ['first_evidence_at', "DateTime('UTC')"],
    ['first_evidence_at_ms', 'UInt64'],
    ['findings', 'UInt64'],
    ['emitted_at', "DateTime('UTC')"],
    ['emitted_at_ms', 'UInt64'],
    ['candidate_id', 'String'],
    ['run_id', 'String'],
    // Migration 2: imsis holds at most 1,000 IMSIs; this counts them all.
    ['imsi_count', 'UInt64'],
    // Migration 3: what the operator needs to act on a candidate.
    ['likely_genuine_imsi', 'String'],
    ['likely_genuine_reason', 'String'],
    ['notify_msisdns', 'Array(String)'],
  ],
  rejected_cdrs: [
    ['run_id', 'String'],
    ['source', 'String'],
    ['line', 'Nullable(UInt64)'],
    ['reason', REASON_ENUM],
    ['detail', 'String'],
    ['raw', 'String'],
    ['rejected_at', "DateTime('UTC')"],
    ['rejected_at_ms', 'UInt64'],
  ],
  pipeline_runs: [
    ['run_id', 'String'],
    ['mode', MODE_ENUM],
    ['started_at', "DateTime('UTC')"],
    ['started_at_ms', 'UInt64'],
    ['finished_at', "DateTime('UTC')"],
    ['finished_at_ms', 'UInt64'],
    ['inputs', 'String'],
    ['records_read', 'UInt64'],
    ['records_accepted', 'UInt64'],
    ['rejected', 'UInt64'],
    ['reject_reasons', 'Array(String)'],
    ['reject_counts', 'Array(UInt64)'],
    ['findings_simultaneity', 'UInt64'],
    ['findings_time_distance', 'UInt64'],
    ['suppressed_simultaneity', 'UInt64'],
    ['suppressed_time_distance', 'UInt64'],
    ['candidates', 'UInt64'],
    ['unknown_cell', 'UInt64'],
    ['clickhouse_outage_s', 'Float64'],
    ['notes', 'Array(String)'],
    ['counters_json', 'String'],
    ['config_json', 'String'],
  ],
} satisfies Record<string, [string, string][]>;

export type InsertTable = keyof typeof COLUMNS;

function columnsDdl(cols: readonly (readonly [string, string])[]): string {
  return cols.map(([n, t]) => `${n} ${t}`).join(', ');
}

export interface Migration {
  version: number;
  description: string;
  statements: (db: string) => string[];
  /**
   * Columns to add, each only when missing (ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS, and a store
   * created after the column joined COLUMNS has it from migration 1).
   */
  addColumns?: Array<[table: keyof typeof COLUMNS, column: string, type: string]>;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'suspected_clones, block_candidates, rejected_cdrs, pipeline_runs, clones_per_day',
    statements: (db) => [
      // Art. 22 findings. ReplacingMergeTree dedups rows with equal sorting keys within a partition; the key
      // ends in finding_id and the partition (day of time_a) is a function of the finding itself, so a
      // retried insert or a re-run of the same input collapses to one row under FINAL. (imei, time_a) first:
      // SPEC's order, and what analysts filter by.
      `CREATE TABLE IF NOT EXISTS ${db}.suspected_clones (${columnsDdl(COLUMNS.suspected_clones)}) ENGINE = ReplacingMergeTree()
      PARTITION BY toYYYYMMDD(time_a)
      ORDER BY (imei, time_a, finding_id)`,
      // One row per emission: a candidate is emitted again when a new IMSI joins, which is its history.
      // candidate_id hashes the emission's content (not its wall-clock time), so a retry collapses under FINAL.
      `CREATE TABLE IF NOT EXISTS ${db}.block_candidates (${columnsDdl(COLUMNS.block_candidates)}) ENGINE = ReplacingMergeTree()
      PARTITION BY toYYYYMM(first_evidence_at)
      ORDER BY (imei, candidate_id)`,
      // A reject is identified by its run, its source and its line (Kafka rejects: source topic/partition/offset).
      `CREATE TABLE IF NOT EXISTS ${db}.rejected_cdrs (${columnsDdl(COLUMNS.rejected_cdrs)}) ENGINE = ReplacingMergeTree()
      PARTITION BY toYYYYMM(rejected_at)
      ORDER BY (run_id, source, ifNull(line, 0))`,
      // Art. 32 audit trail: one row per detect run or per streaming interval of run.
      `CREATE TABLE IF NOT EXISTS ${db}.pipeline_runs (${columnsDdl(COLUMNS.pipeline_runs)}) ENGINE = ReplacingMergeTree()
      PARTITION BY toYYYYMM(started_at)
      ORDER BY (run_id, started_at_ms)`,
      // Clone counts per day and rule, kept up to date by the materialized view below. A materialized view
      // sees every inserted block, duplicates included (FINAL does not reach it): retried inserts and re-runs
      // of the same input are counted again. It is a cheap dashboard figure; exact counts come from
      // suspected_clones FINAL. Read it with sum(clones) ... GROUP BY day, rule (rows merge lazily).
      `CREATE TABLE IF NOT EXISTS ${db}.clones_per_day (
        day Date,
        rule ${RULE_ENUM},
        clones UInt64
      ) ENGINE = SummingMergeTree()
      PARTITION BY toYYYYMM(day)
      ORDER BY (day, rule)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.clones_per_day_mv TO ${db}.clones_per_day AS
        SELECT toDate(time_a) AS day, rule, count() AS clones FROM ${db}.suspected_clones GROUP BY day, rule`,
    ],
  },
  {
    version: 2,
    description: 'block_candidates.imsi_count (imsis is capped at 1,000 entries)',
    statements: () => [],
    addColumns: [['block_candidates', 'imsi_count', 'UInt64']],
  },
  {
    version: 3,
    description: 'Art. 22(c) criteria: suspected_clones.imsi_count, radio, tac_radios; block_candidates.likely_genuine_imsi, likely_genuine_reason, notify_msisdns',
    statements: () => [],
    addColumns: [
      ['suspected_clones', 'imsi_count', 'Nullable(UInt64)'],
      ['suspected_clones', 'radio', 'Nullable(String)'],
      ['suspected_clones', 'tac_radios', 'Nullable(String)'],
      ['block_candidates', 'likely_genuine_imsi', 'String'],
      ['block_candidates', 'likely_genuine_reason', 'String'],
      ['block_candidates', 'notify_msisdns', 'Array(String)'],
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Create the database and tables if missing and apply the migrations this program knows and the store
 * lacks. Idempotent, and safe when two processes run it at once (every statement is IF NOT EXISTS or
 * checks first). Returns the schema version of the store.
 */
export async function ensureSchema(store: ClickHouseStore): Promise<number> {
  const { client, database: db } = store;
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_version (
      version UInt64,
      description String,
      applied_at DateTime('UTC')
    ) ENGINE = ReplacingMergeTree() ORDER BY version`,
  });
  const current = await schemaVersion(store);
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `ClickHouse database ${db} has schema version ${current}, newer than this clonewatch knows (${SCHEMA_VERSION}); upgrade clonewatch`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    for (const statement of m.statements(db)) await client.command({ query: statement });
    for (const [table, column, type] of m.addColumns ?? []) await addColumn(store, table, column, type);
    await client.insert({
      table: `${db}.schema_version`,
      format: 'JSONEachRow',
      values: [{ version: String(m.version), description: m.description, applied_at: nowDateTime() }],
    });
  }
  await upgradeEnum(store, 'rejected_cdrs', 'reason', REASON_ENUM);
  // New criteria add values to the rule enum (metadata-only, also on the sorting key of clones_per_day).
  await upgradeEnum(store, 'suspected_clones', 'rule', RULE_ENUM);
  await upgradeEnum(store, 'clones_per_day', 'rule', RULE_ENUM);
  return SCHEMA_VERSION;
}

export async function schemaVersion(store: ClickHouseStore): Promise<number> {
  const rs = await store.client.query({
    query: `SELECT toString(max(version)) AS v FROM ${store.database}.schema_version`,
    format: 'JSONEachRow',
  });
  const rows = (await rs.json()) as { v: string }[];
  return Number(rows[0]?.v ?? 0);
}

async function addColumn(store: ClickHouseStore, table: string, column: string, type: string): Promise<void> {
  const rs = await store.client.query({
    query: `SELECT name FROM system.columns WHERE database = ${sqlString(store.database)} AND table = ${sqlString(table)} AND name = ${sqlString(column)}`,
    format: 'JSONEachRow',
  });
  if (((await rs.json()) as unknown[]).length > 0) return;
  try {
    await store.client.command({ query: `ALTER TABLE ${store.database}.${table} ADD COLUMN ${column} ${type}` });
  } catch (err) {
    // Another process added it between the check and the ALTER (code 44: ILLEGAL_COLUMN / already exists).
    if (!/Code: 44\b|already exists/i.test((err as Error).message)) throw err;
  }
}

/** Adding values to an Enum8 is a metadata-only change: follow new reject reasons without a migration. */
async function upgradeEnum(store: ClickHouseStore, table: string, column: string, wanted: string): Promise<void> {
  const rs = await store.client.query({
    query: `SELECT type FROM system.columns WHERE database = ${sqlString(store.database)} AND table = ${sqlString(table)} AND name = ${sqlString(column)}`,
    format: 'JSONEachRow',
  });
  const rows = (await rs.json()) as { type: string }[];
  const have = rows[0]?.type;
  if (have === undefined || normalizeEnum(have) === normalizeEnum(wanted)) return;
  await store.client.command({ query: `ALTER TABLE ${store.database}.${table} MODIFY COLUMN ${column} ${wanted}` });
}

function normalizeEnum(t: string): string {
  return t.replace(/\s+/g, '');
}

function nowDateTime(): string {
  return new Date().toISOString().slice(0, 19).replace('T', ' ');
}
