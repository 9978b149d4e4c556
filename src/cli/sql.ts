import type { ClickHouseSettings } from '@clickhouse/client';
import { ServiceError, UsageError } from '../domain/errors.js';
import { buildConfig, parseCommandArgs } from './common.js';
import { READ_SETTINGS } from '../sinks/clickhouse/read-back.js';
import { ClickHouseStoreError, firstLine, openStore, sqlString, type ClickHouseStore } from '../sinks/clickhouse/connect.js';
import { readOnlyRefusal, READ_KEYWORDS, sqlShape } from '../sinks/clickhouse/sql-text.js';

const HELP = `clonewatch sql "<query>": run one query against the clonewatch ClickHouse store and print the result

Usage:
  clonewatch sql "<query>" [--clickhouse <url|dir>] [--config <file>] [--format table|jsonl|csv] [--write]

  --clickhouse <url|dir>  http(s)://[user[:password]@]host:port[/database] of a server, or a chDB data
                          directory (default ./clonewatch-data/clickhouse, config key clickhouse.target).
                          A server also takes CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE.
  --config <file>         the JSON config file of detect/run (its clickhouse section is used)
  --format <f>            table (default: aligned columns), jsonl (one JSON object a line), csv (with a header)
  --write                 allow statements that change data (INSERT, CREATE, ALTER, DROP, SET, INTO OUTFILE...).
                          Without it sql is read-only in effect: only ${[...READ_KEYWORDS].join(', ')} run, never
                          INTO OUTFILE, and ClickHouse runs the query with readonly=1 (no writes, no DDL, no
                          SETTINGS or SET, no table functions such as file(), url() or s3())
  -h, --help              this help

One statement per call. The configured database (clonewatch unless set) is the session's default, e.g.
  clonewatch sql "SELECT rule, count() FROM suspected_clones FINAL GROUP BY rule"

chDB allows one process per data directory: stop a running detect before querying its directory.`;

const FORMATS = ['table', 'jsonl', 'csv'] as const;
type Format = (typeof FORMATS)[number];

/** Longest cell printed in table format; --format jsonl prints whole values. */
const MAX_CELL = 120;

export async function sqlCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      clickhouse: { type: 'string' },
      config: { type: 'string' },
      format: { type: 'string' },
      write: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'sql needs a query: clonewatch sql "SELECT ..." (see clonewatch sql --help)'
        : `sql takes one query, got ${positionals.length} arguments: put the query in quotes`,
    );
  }
  const format = (values.format ?? 'table') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  const write = values.write === true;
  const config = buildConfig(values, (raw) => {
    if (typeof values.clickhouse === 'string') {
      raw.clickhouse = { ...((raw.clickhouse as Record<string, unknown>) ?? {}), target: values.clickhouse };
    }
  });
  if (config.clickhouse.target === 'none') throw new UsageError('sql needs a ClickHouse store: --clickhouse <url|dir>, not none');

  const shape = sqlShape(positionals[0]);
  if (shape.error !== null) throw new UsageError(`the query cannot be read: ${shape.error}`);
  if (shape.statements === 0) throw new UsageError('the query is empty');
  if (shape.statements > 1) throw new UsageError('one statement per call (ClickHouse 18.16 and chDB run one at a time): split the query');
  const reads = READ_KEYWORDS.has(shape.keyword);
  const refusal = write ? null : readOnlyRefusal(shape);
  if (refusal !== null) throw new UsageError(refusal);

  let store: ClickHouseStore;
  store = await openStore(config.clickhouse, { create: write, useDatabase: true });
  try {
    // readonly=1 on both kinds of store: no writes, no DDL, no SET or SETTINGS, no table functions. It comes
    // last, since chDB applies the settings one SET at a time and readonly=1 forbids any SET after it.
    const settings: ClickHouseSettings = write ? { ...READ_SETTINGS } : { ...READ_SETTINGS, readonly: '1' };
    if (!write && store.kind === 'chdb') await checkWithParser(store, shape.text, settings);
    const started = Date.now();
    if (shape.format !== null) {
      // The query names its own output format: pass the bytes through.
      const res = await store.client.exec({ query: shape.text, clickhouse_settings: settings });
      for await (const chunk of res.stream) process.stdout.write(chunk as Buffer);
      return 0;
    }
    if (!reads) {
      await store.client.command({ query: shape.text, clickhouse_settings: settings });
      process.stderr.write(`ok (${elapsed(started)})\n`);
      return 0;
    }
    if (format === 'table') {
      const rs = await store.client.query({ query: shape.text, format: 'JSON', clickhouse_settings: settings });
      const body = (await rs.json()) as { meta: { name: string; type: string }[]; data: Record<string, unknown>[] };
      process.stdout.write(renderTable(body.meta, body.data));
      process.stderr.write(`${body.data.length} row${body.data.length === 1 ? '' : 's'} (${elapsed(started)})\n`);
      return 0;
    }
    const rs = await store.client.query({
      query: shape.text,
      format: format === 'jsonl' ? 'JSONEachRow' : 'CSVWithNames',
      clickhouse_settings: settings,
    });
    for await (const rows of rs.stream()) {
      let out = '';
      for (const row of rows as { text: string }[]) out += row.text + '\n';
      if (!process.stdout.write(out)) await new Promise((r) => process.stdout.once('drain', r));
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ClickHouseStoreError) throw err;
    const msg = firstLine((err as Error).message ?? String(err));
    const hint = !write && /Code: 164\b|READONLY|readonly mode/i.test(msg) ? ' (sql is read-only unless you pass --write)' : '';
    throw new ServiceError(`query failed (${store.label}): ${msg}${hint}`, 'QUERY_FAILED', { cause: err });
  } finally {
    await store.close().catch(() => {});
  }
}

/**
 * chDB runs `INTO OUTFILE` even with readonly=1 (a server refuses it over HTTP). Ask ClickHouse's own parser
 * for the query's canonical text (comments gone, literals requoted) and check that too, so a lexer that read
 * the query differently from ClickHouse cannot let a write through.
 */
async function checkWithParser(store: ClickHouseStore, text: string, settings: ClickHouseSettings): Promise<void> {
  const rs = await store.client.query({
    query: `SELECT formatQuerySingleLine(${sqlString(text)}) AS q`,
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  });
  const [row] = (await rs.json()) as { q: string }[];
  const canonical = sqlShape(row?.q ?? '');
  const refusal = canonical.error !== null ? `the query cannot be checked: ${canonical.error}` : readOnlyRefusal(canonical);
  if (refusal !== null) throw new UsageError(refusal);
}

function elapsed(started: number): string {
  return `${((Date.now() - started) / 1000).toFixed(3)} s`;
}

const NUMERIC = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

function cellText(v: unknown): string {
  let s: string;
  if (v === null || v === undefined) s = 'NULL';
  else if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') s = String(v);
  else s = JSON.stringify(v);
  s = s.replace(/[\r\n\t]/g, ' ');
  return s.length > MAX_CELL ? s.slice(0, MAX_CELL - 1) + '…' : s;
}

/** Aligned columns with a header rule; numbers right-aligned. */
export function renderTable(meta: { name: string; type: string }[], data: Record<string, unknown>[]): string {
  if (meta.length === 0) return '';
  const cells = data.map((row) => meta.map((m) => cellText(row[m.name])));
  const width = meta.map((m, i) => Math.max(m.name.length, ...cells.map((r) => [...r[i]].length)));
  const right = meta.map((m) => NUMERIC.test(m.type));
  const pad = (s: string, i: number) => {
    const fill = ' '.repeat(width[i] - [...s].length);
    return right[i] ? fill + s : s + fill;
  };
  const lines = [
    meta.map((m, i) => pad(m.name, i)).join('  ').trimEnd(),
    width.map((w) => '─'.repeat(w)).join('  '),
    ...cells.map((r) => r.map((c, i) => pad(c, i)).join('  ').trimEnd()),
  ];
  return lines.join('\n') + '\n';
}
