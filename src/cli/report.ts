import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ServiceError, UsageError } from '../domain/errors.js';
import { buildConfig, parseCommandArgs } from './common.js';
import { ClickHouseStoreError, firstLine, openStore, type ClickHouseStore } from '../sinks/clickhouse/connect.js';
import { candidatesCsv } from '../views/candidates-csv.js';
import { reportPage } from '../views/report-page.js';
import { readReportInput, type DayRange } from '../views/store.js';

const HELP = `clonewatch report: report.html and candidates.csv for a range of days

Usage:
  clonewatch report --out <dir> [--from <YYYY-MM-DD>] [--to <YYYY-MM-DD>] [--clickhouse <url|dir>] [--config <file>]

  --out <dir>             where to write report.html and candidates.csv (created if missing)
  --from <YYYY-MM-DD>     first UTC day of the findings' event time (time_a), inclusive (default: no bound)
  --to <YYYY-MM-DD>       last UTC day, inclusive (default: no bound)
  --clickhouse <url|dir>  the store detect/run wrote to: a chDB data directory (default ./clonewatch-data/clickhouse)
                          or http(s)://[user[:password]@]host:port[/database] (see clonewatch sql --help)
  --config <file>         the JSON config file of detect/run (its clickhouse section is used)
  -h, --help              this help

report.html (self-contained, no network): findings per day and rule, candidates per day, rejects by reason,
a map of findings by H3 cell, the runs. candidates.csv: one row per IMEI key with a finding in the range that
is a block candidate, its current state, in the columns
imei,imsis,exempt_imsis,rules,first_evidence_at,findings,likely_genuine_imsi,notify_msisdns (lists |-separated):
the list the operator remits to OSIPTEL. Exit status: 0 when written (an empty range included), 2 for bad
arguments or a store that cannot be opened, 1 when a query fails.`;

/** Epoch ms of the start of a UTC day given as YYYY-MM-DD; a date that does not exist is a UsageError. */
export function dayStartMs(flag: string, s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const ms = m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
  if (!m || !Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== s) {
    throw new UsageError(`${flag} needs a date YYYY-MM-DD (a UTC day), got ${JSON.stringify(s)}`);
  }
  return ms;
}

export function parseRange(from: string | undefined, to: string | undefined): DayRange {
  const fromMs = from === undefined ? null : dayStartMs('--from', from);
  const toMs = to === undefined ? null : dayStartMs('--to', to) + 86_400_000;
  if (fromMs !== null && toMs !== null && fromMs >= toMs) throw new UsageError(`--from ${from} is after --to ${to}`);
  return { fromMs, toMs };
}

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    clickhouse: { type: 'string' },
    config: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, true);
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length) throw new UsageError(`report takes no positional arguments, got ${JSON.stringify(positionals[0])} (see --help)`);
  if (!values.out) throw new UsageError('report needs --out <dir> (see --help)');
  const from = values.from as string | undefined;
  const to = values.to as string | undefined;
  const range = parseRange(from, to);
  const rangeText =
    from || to
      ? `findings from ${from ?? 'the first day'} to ${to ?? 'the last day'} (UTC days, inclusive)`
      : 'all findings in the store';
  const config = buildConfig(values, (raw) => {
    if (typeof values.clickhouse === 'string') {
      raw.clickhouse = { ...((raw.clickhouse as Record<string, unknown>) ?? {}), target: values.clickhouse };
    }
  });
  if (config.clickhouse.target === 'none') throw new UsageError('report reads ClickHouse: --clickhouse <url|dir>, not none');
  const outDir = resolve(values.out as string);

  const store: ClickHouseStore = await openStore(config.clickhouse, { create: false });
  let input;
  try {
    input = await readReportInput(store, range);
  } catch (err) {
    if (err instanceof ClickHouseStoreError) throw err;
    throw new ServiceError(`cannot read the report's data (${store.label}): ${firstLine((err as Error).message ?? String(err))}`, 'QUERY', { cause: err });
  } finally {
    await store.close().catch(() => {});
  }
  const html = reportPage({ input, rangeText, source: `${store.label}, database ${store.database}`, generatedAt: new Date().toISOString() });
  try {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'report.html'), html);
    writeFileSync(join(outDir, 'candidates.csv'), candidatesCsv(input.candidates));
  } catch (err) {
    throw new UsageError(`cannot write into ${outDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const findings = input.findingsPerDay.reduce((t, r) => t + r.n, 0);
  process.stderr.write(
    `report: ${findings} findings, ${input.candidates.length} block candidates, ${input.rejectsByReason.reduce((t, r) => t + r.n, 0)} rejects, ${input.runsTotal} runs; ` +
      `wrote ${join(outDir, 'report.html')} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KB) and ${join(outDir, 'candidates.csv')}\n`,
  );
  return 0;
}
