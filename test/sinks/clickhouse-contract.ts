import { latLngToCell } from 'h3-js';
import { readFileSync } from 'node:fs';
import { expect, it, vi } from 'vitest';
import { clickhouseSchema, type Config } from '../../src/config/schema.js';
import type { Finding } from '../../src/domain/types.js';
import { ClickHouseSink } from '../../src/sinks/clickhouse/clickhouse-sink.js';
import { openStore, type ClickHouseStore } from '../../src/sinks/clickhouse/connect.js';
import { openClickHouseSink } from '../../src/sinks/clickhouse/index.js';
import { countRows, readCandidates, readFindings, readRejects, selectRows } from '../../src/sinks/clickhouse/read-back.js';
import { COLUMNS, ensureSchema, MIGRATIONS, SCHEMA_VERSION } from '../../src/sinks/clickhouse/schema.js';
import { sqlCommand } from '../../src/cli/sql.js';
import { exitCodeFor } from '../../src/cli/exit-code.js';
import { sampleCandidates, sampleFindings, sampleRejects, sampleRun } from './clickhouse-data.js';

const DOC_IMEI = '35209900000066';

/** The ```sql blocks of docs/clickhouse.md. */
export function docQueries(): string[] {
  const md = readFileSync(new URL('../../docs/clickhouse.md', import.meta.url), 'utf8');
  return [...md.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1].trim());
}

/** Run `clonewatch sql` in-process, capturing its output; an error becomes the exit code main would give. */
export async function runSql(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((b: string | Uint8Array) => ((stdout += String(b)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((b: string | Uint8Array) => ((stderr += String(b)), true));
  try {
    const code = await sqlCommand(argv);
    return { code, stdout, stderr: stderr.replace(/^\d+ rows? \([\d.]+ s\)\n/gm, '') };
  } catch (e) {
    return { code: exitCodeFor(e), stdout, stderr: stderr + (e as Error).message };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/**
 * What every ClickHouse store must do, run once on embedded chDB and once on a Debian 18.16 server.
 * `target()` gives the --clickhouse value; each test uses its own database.
 */
export function storeContract(target: () => string): void {
  let n = 0;
  const cfg = (over: Partial<Config['clickhouse']> = {}): Config['clickhouse'] =>
    clickhouseSchema.parse({ target: target(), database: `cw_test_${process.pid}_${++n}`, ...over });

  async function withStore<T>(c: Config['clickhouse'], fn: (s: ClickHouseStore) => Promise<T>): Promise<T> {
    const store = await openStore(c);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  const byId = (a: Finding, b: Finding) => (a.finding_id < b.finding_id ? -1 : 1);

  it('creates the schema, and creating it again changes nothing', async () => {
    const c = cfg();
    await withStore(c, async (store) => {
      expect(await ensureSchema(store)).toBe(SCHEMA_VERSION);
      expect(await ensureSchema(store)).toBe(SCHEMA_VERSION);
      const tables = await selectRows(store, `SELECT name FROM system.tables WHERE database = '${c.database}' ORDER BY name`);
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['block_candidates', 'clones_per_day', 'clones_per_day_mv', 'pipeline_runs', 'rejected_cdrs', 'schema_version', 'suspected_clones']),
      );
      expect(await countRows(store, 'schema_version', false)).toBe(MIGRATIONS.length);
    });
  });

  it('upgrades a store of schema version 1: the columns of migrations 2 and 3 and the new rule names', async () => {
    const c = cfg();
    const db = c.database;
    const old = (t: 'suspected_clones' | 'block_candidates') =>
      COLUMNS[t]
        .filter(([n]) => !MIGRATIONS.slice(1).some((m) => (m.addColumns ?? []).some(([tt, cc]) => tt === t && cc === n)))
        .map(([n, ty]) => `${n} ${n === 'rule' ? "Enum8('simultaneity' = 1, 'time_distance' = 2)" : ty}`)
        .join(', ');
    await withStore(c, async (store) => {
      for (const q of [
        `CREATE DATABASE IF NOT EXISTS ${db}`,
        `CREATE TABLE ${db}.schema_version (version UInt64, description String, applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree() ORDER BY version`,
        `INSERT INTO ${db}.schema_version VALUES (1, 'v1', '2026-01-01 00:00:00')`,
        `CREATE TABLE ${db}.suspected_clones (${old('suspected_clones')}) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMMDD(time_a) ORDER BY (imei, time_a, finding_id)`,
        `CREATE TABLE ${db}.block_candidates (${old('block_candidates')}) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(first_evidence_at) ORDER BY (imei, candidate_id)`,
        `CREATE TABLE ${db}.clones_per_day (day Date, rule Enum8('simultaneity' = 1, 'time_distance' = 2), clones UInt64) ENGINE = SummingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, rule)`,
        `CREATE MATERIALIZED VIEW ${db}.clones_per_day_mv TO ${db}.clones_per_day AS SELECT toDate(time_a) AS day, rule, count() AS clones FROM ${db}.suspected_clones GROUP BY day, rule`,
      ])
        await store.client.command({ query: q });
      expect(await ensureSchema(store)).toBe(SCHEMA_VERSION);
      const cols = await selectRows(store, `SELECT table, name FROM system.columns WHERE database = '${db}' AND name IN ('imsi_count', 'radio', 'tac_radios', 'likely_genuine_imsi', 'likely_genuine_reason', 'notify_msisdns') ORDER BY table, name`);
      expect(cols.map((r) => `${r.table}.${r.name}`)).toEqual([
        'block_candidates.imsi_count',
        'block_candidates.likely_genuine_imsi',
        'block_candidates.likely_genuine_reason',
        'block_candidates.notify_msisdns',
        'suspected_clones.imsi_count',
        'suspected_clones.radio',
        'suspected_clones.tac_radios',
      ]);
    });
    // The upgraded store takes findings of every rule (the view's enum followed too).
    const findings = sampleFindings(40);
    const sink = await openClickHouseSink(c, { runId: 'run-upgraded' });
    await sink.write({ findings, candidates: sampleCandidates(findings), rejects: [] });
    await sink.flush();
    await sink.close();
    await withStore(c, async (store) => {
      expect(await readFindings(store)).toEqual([...findings].sort(byId));
      const perRule = await selectRows(store, `SELECT toString(rule) AS rule, sum(clones) AS n FROM ${db}.clones_per_day GROUP BY rule ORDER BY rule`);
      expect(perRule.map((r) => r.rule)).toEqual(['inconsistent_rat', 'shared_imei', 'simultaneity', 'time_distance', 'unknown_tac']);
    });
  });

  it('reads back every finding, candidate and reject equal to what was written, field by field', async () => {
    const c = cfg({ batchRows: 2000 });
    // 110 days in one batch: more partitions than one insert block may hold (100), so inserts must split by day.
    const findings = sampleFindings(1500, { days: 110 });
    const candidates = sampleCandidates(findings);
    const rejects = sampleRejects(300);
    const sink = await openClickHouseSink(c, { runId: 'run-roundtrip' });
    await sink.write({ findings: findings.slice(0, 700), candidates: candidates.slice(0, 300), rejects: rejects.slice(0, 100) });
    await sink.write({ findings: findings.slice(700), candidates: candidates.slice(300), rejects: rejects.slice(100) });
    await sink.flush();
    await sink.recordRun!(sampleRun('run-roundtrip'));
    expect(sink.describe!()[0]).toContain(`${findings.length} findings`);
    await sink.close();
    await sink.close(); // idempotent

    await withStore(c, async (store) => {
      expect(await readFindings(store)).toEqual([...findings].sort(byId));
      const gotCandidates = await readCandidates(store);
      expect(gotCandidates).toHaveLength(candidates.length);
      expect(new Set(gotCandidates.map((x) => JSON.stringify(x)))).toEqual(new Set(candidates.map((x) => JSON.stringify(x))));
      const gotRejects = await readRejects(store);
      expect(new Set(gotRejects.map((x) => JSON.stringify(x)))).toEqual(new Set(rejects.map((x) => JSON.stringify(x))));

      // H3 resolution 7 of each known cell position, 0 when unknown.
      const h3 = await selectRows(store, `SELECT finding_id, h3_a, h3_b FROM ${c.database}.suspected_clones FINAL`);
      const f = new Map(findings.map((x) => [x.finding_id, x]));
      for (const row of h3) {
        const x = f.get(String(row.finding_id))!;
        const want = (lat: number | null, lon: number | null) => (lat === null || lon === null ? '0' : BigInt('0x' + latLngToCell(lat, lon, 7)).toString());
        expect([row.h3_a, row.h3_b]).toEqual([want(x.lat_a, x.lon_a), want(x.lat_b, x.lon_b)]);
      }

      const runs = await selectRows(store, `SELECT * FROM ${c.database}.pipeline_runs FINAL`);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        run_id: 'run-roundtrip',
        mode: 'detect',
        records_read: '1000',
        rejected: '10',
        reject_reasons: ['invalid_imei', 'late_record'],
        reject_counts: ['6', '4'],
        findings_simultaneity: '3',
        started_at: '2026-11-24 18:00:00',
        finished_at_ms: String(Date.parse('2026-11-24T18:00:05.250Z')),
      });
      expect(String(runs[0].config_json)).not.toMatch(/hunter2|s3cret/);
    });
  });

  it('keeps one row per finding_id after FINAL when the same findings are inserted again (a retried insert)', async () => {
    const c = cfg({ batchRows: 500 });
    const findings = sampleFindings(800, { days: 4, seed: 7 });
    for (const runId of ['first', 'retry']) {
      const sink = await openClickHouseSink(c, { runId });
      await sink.write({ findings, candidates: sampleCandidates(findings), rejects: [] });
      await sink.close();
    }
    await withStore(c, async (store) => {
      expect(await countRows(store, 'suspected_clones', true)).toBe(800);
      expect(await countRows(store, 'block_candidates', true)).toBe(400);
      expect((await readFindings(store)).map((x) => x.finding_id)).toEqual(findings.map((x) => x.finding_id).sort());
      // The materialized view counts every inserted copy (documented): 2 x 800.
      const mv = await selectRows(store, `SELECT toString(sum(clones)) AS n FROM ${c.database}.clones_per_day`);
      expect(mv[0].n).toBe('1600');
    });
  });

  it('applies backpressure: write() waits while the bounded buffer is full, and nothing is lost', async () => {
    const c = cfg({ batchRows: 200, maxBufferedRows: 400, flushIntervalMs: 50 });
    const sink = (await openClickHouseSink(c, { runId: 'bp' })) as ClickHouseSink;
    const findings = sampleFindings(3000, { days: 2, seed: 9 });
    let maxBuffered = 0;
    for (let i = 0; i < findings.length; i += 150) {
      await sink.write({ findings: findings.slice(i, i + 150), candidates: [], rejects: [] });
      maxBuffered = Math.max(maxBuffered, (sink as unknown as { buffered: number }).buffered);
    }
    await sink.close();
    expect(maxBuffered).toBeLessThanOrEqual(400);
    await withStore(c, async (store) => expect(await countRows(store, 'suspected_clones', true)).toBe(3000));
  });

  it('a row waits flushIntervalMs from its own arrival, and rows arriving while a flush runs do not start more inserts', async () => {
    const c = cfg({ flushIntervalMs: 500 });
    const sink = (await openClickHouseSink(c, { runId: 'due' })) as ClickHouseSink;
    const client = sink.store.client as unknown as Record<'insert' | 'exec', (...a: unknown[]) => Promise<unknown>>;
    let inserts = 0;
    for (const m of ['insert', 'exec'] as const) {
      const orig = client[m].bind(client);
      client[m] = (...a: unknown[]) => {
        if (JSON.stringify(a[0]).includes('suspected_clones')) inserts++;
        return orig(...a);
      };
    }
    const findings = sampleFindings(400, { days: 1, seed: 5 });
    const buffered = () => (sink as unknown as { buffered: number }).buffered;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // A flush (as a commit asks), then one row 250 ms later: it is due 500 ms after its own arrival, not at a
    // tick counted from the sink's start or from the flush.
    await sink.write({ findings: findings.slice(0, 1), candidates: [], rejects: [] });
    await sink.flush();
    await sleep(250);
    await sink.write({ findings: findings.slice(1, 2), candidates: [], rejects: [] });
    const at = performance.now();
    await sleep(350);
    expect(buffered()).toBe(1);
    while (buffered() > 0 && performance.now() - at < 5000) await sleep(10);
    expect(buffered()).toBe(0);
    expect(performance.now() - at).toBeGreaterThanOrEqual(499);
    // A steady stream of rows for 1.5 s (one every 5 ms) with three flushes asked in it: each flush is one
    // insert (this table has one partition here), the rows that come meanwhile wait for the next.
    inserts = 0;
    const t0 = performance.now();
    for (let i = 2; performance.now() - t0 < 1500; i++) {
      await sink.write({ findings: findings.slice(i % 400, (i % 400) + 1), candidates: [], rejects: [] });
      if (i % 100 === 0) void sink.flush();
      await sleep(5);
    }
    await sink.close();
    expect(inserts).toBeGreaterThanOrEqual(2);
    expect(inserts).toBeLessThanOrEqual(8);
  });

  it('upgrades a version-1 store: migration 2 adds block_candidates.imsi_count once', async () => {
    const c = cfg();
    await withStore(c, async (store) => {
      const db = c.database;
      await ensureSchema(store);
      await store.client.command({ query: `ALTER TABLE ${db}.block_candidates DROP COLUMN imsi_count` });
      await store.client.command({ query: `DROP TABLE ${db}.schema_version` });
      await store.client.command({
        query: `CREATE TABLE ${db}.schema_version (version UInt64, description String, applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree() ORDER BY version`,
      });
      await store.client.command({ query: `INSERT INTO ${db}.schema_version VALUES (1, 'v1', '2026-01-01 00:00:00')` });
      expect(await ensureSchema(store)).toBe(SCHEMA_VERSION);
      expect(await ensureSchema(store)).toBe(SCHEMA_VERSION);
      const cols = await selectRows(store, `SELECT name FROM system.columns WHERE database = '${db}' AND table = 'block_candidates' AND name = 'imsi_count'`);
      expect(cols).toHaveLength(1);
    });
  });

  it('answers every analyst query of docs/clickhouse.md through clonewatch sql, with rows', async () => {
    const c = cfg();
    const findings = sampleFindings(400, { days: 5, seed: 3 });
    for (const f of findings.slice(0, 4)) f.imei = DOC_IMEI;
    const sink = await openClickHouseSink(c, { runId: 'docs' });
    await sink.write({ findings, candidates: sampleCandidates(findings), rejects: sampleRejects(20) });
    await sink.recordRun!(sampleRun('docs'));
    await sink.close();
    const queries = docQueries().map((q) => q.replaceAll('clonewatch.', `${c.database}.`));
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const [i, q] of queries.entries()) {
      const jsonl = await runSql([q, '--clickhouse', target(), '--format', 'jsonl']);
      expect({ q, code: jsonl.code, stderr: jsonl.stderr }).toEqual({ q, code: 0, stderr: '' });
      expect(jsonl.stdout.trim(), q).not.toBe('');
      if (i < 3) {
        // The default table format on a few (each call opens the store anew: chDB takes ~0.3 s).
        const table = await runSql([q, '--clickhouse', target()]);
        expect(table.code, q).toBe(0);
        expect(table.stdout.split('\n')[1], q).toMatch(/^─+/);
      }
    }
    // Read-only unless --write, on either store.
    const drop = await runSql([`DROP TABLE ${c.database}.rejected_cdrs`, '--clickhouse', target()]).catch((e: Error) => ({ code: 2, stdout: '', stderr: e.message }));
    expect(drop.code).not.toBe(0);
    expect(drop.stderr).toMatch(/--write/);
    await withStore(c, async (store) => expect(await countRows(store, 'rejected_cdrs', true)).toBe(20));
  });

  it('a row ClickHouse refuses for its content becomes a reject; the others are written and the sink goes on', async () => {
    const c = cfg();
    const findings = sampleFindings(40, { days: 1, seed: 5 });
    // A lone UTF-16 surrogate: a JSON insert (chDB) refuses it; RowBinary (a server) stores U+FFFD.
    findings[17].record_a = 'bad\ud800';
    const sink = await openClickHouseSink(c, { runId: 'refused' });
    await sink.write({ findings, candidates: [], rejects: [] });
    await sink.flush();
    await sink.write({ findings: sampleFindings(5, { days: 1, seed: 6 }), candidates: [], rejects: [] });
    await sink.close();
    await withStore(c, async (store) => {
      const stored = await countRows(store, 'suspected_clones', true);
      const refused = await countRows(store, 'rejected_cdrs', true, "source = 'clickhouse/suspected_clones'");
      expect(stored + refused).toBe(45);
      expect(stored).toBeGreaterThanOrEqual(44);
      if (refused === 1) {
        const [r] = await readRejects(store, "source = 'clickhouse/suspected_clones'");
        expect(r).toMatchObject({ reason: 'malformed_row', line: null });
        expect(r.detail).toMatch(/^ClickHouse refused this row: /);
      }
    });
  });

  it('fails a write with a clear message when ClickHouse refuses the rows (not retried)', async () => {
    const c = cfg();
    const sink = await openClickHouseSink(c, { runId: 'bad' });
    await withStore(c, async (store) => store.client.command({ query: `DROP TABLE ${c.database}.rejected_cdrs` }));
    await sink.write({ findings: [], candidates: [], rejects: sampleRejects(3) });
    const t0 = Date.now();
    await expect(sink.flush()).rejects.toThrow(/rejected_cdrs/);
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(sink.close()).rejects.toThrow();
  });
}
