#!/usr/bin/env node
// Insert throughput of the ClickHouse sink (what `detect` uses), on embedded chDB and on a throwaway Debian
// clickhouse-server. Needs `npm run build`. Not a test: prints rows/s (median and spread of the repeats).
//
//   node bench/clickhouse-insert.mjs [--rows 200000] [--batch 50000] [--repeats 3] [--only chdb|server]
//
// Each repeat writes fresh findings (31 columns, about 600 bytes of JSON each, spread over 3 days) into a
// new database through openClickHouseSink, and times write() of all rows + flush().
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '50000' },
    repeats: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const REPEATS = Number(values.repeats);

const dist = new URL('../dist/sinks/clickhouse/index.js', import.meta.url);
if (!existsSync(dist)) {
  console.error('run "npm run build" first');
  process.exit(2);
}
const { openClickHouseSink } = await import(dist.href);
const { clickhouseSchema } = await import(new URL('../dist/config/schema.js', import.meta.url).href);

function findings(n, seed) {
  const base = Date.UTC(2026, 2, 1, 0, 0, 0, 0);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = base + (i % 3) * 86_400_000 + i * 37;
    const imei = String(35_000_000_000_000 + ((i * 7919 + seed) % 9_000_000)).slice(0, 14);
    const unknown = i % 10 === 0;
    out[i] = {
      imei,
      imei_reported_a: imei + '0',
      imei_reported_b: imei + '0',
      rule: i % 2 ? 'time_distance' : 'simultaneity',
      imsi_a: String(716_100_000_000_000 + i),
      imsi_b: String(716_100_900_000_000 + i),
      msisdn_a: `51990${String(i).padStart(6, '0')}`,
      msisdn_b: `51980${String(i).padStart(6, '0')}`,
      record_a: `cdr-${seed}-${i}-a`,
      record_b: `cdr-${seed}-${i}-b`,
      time_a: new Date(t).toISOString(),
      time_b: new Date(t + 90_000).toISOString(),
      cell_a: unknown ? null : `LTE:716:10:${1000 + (i % 300)}:${20000 + (i % 5000)}`,
      cell_b: unknown ? null : `LTE:716:10:${2000 + (i % 300)}:${30000 + (i % 5000)}`,
      lat_a: unknown ? null : -12.05 + (i % 1000) * 0.001,
      lon_a: unknown ? null : -77.04 + (i % 700) * 0.001,
      lat_b: unknown ? null : -16.4 + (i % 900) * 0.001,
      lon_b: unknown ? null : -71.53 + (i % 600) * 0.001,
      distance_km: unknown ? null : 765.4 + (i % 100) / 7,
      gap_s: i % 2 ? 90 : 0,
      overlap_s: i % 2 ? 0 : 30,
      speed_kmh: i % 2 && !unknown ? 30616 : null,
      exempt_imsis: [],
      detected_at: new Date().toISOString(),
      finding_id: `${seed.toString(16)}-${i.toString(16).padStart(10, '0')}`,
    };
  }
  return out;
}

async function measure(target, database, seed) {
  const rows = findings(ROWS, seed);
  const cfg = clickhouseSchema.parse({ target, database, batchRows: BATCH, maxBufferedRows: Math.max(BATCH * 4, 200_000) });
  const sink = await openClickHouseSink(cfg, { runId: `bench-${seed}` });
  const t0 = process.hrtime.bigint();
  // The pipeline hands over batches of a few thousand rows.
  for (let i = 0; i < rows.length; i += 5000) await sink.write({ findings: rows.slice(i, i + 5000), candidates: [], rejects: [] });
  await sink.flush();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await sink.close();
  return ROWS / s;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer(dir) {
  const [http, tcp, inter] = [await freePort(), await freePort(), await freePort()];
  const proc = spawn(
    '/usr/sbin/clickhouse-server',
    [
      '--config-file=/etc/clickhouse-server/config.xml',
      '--',
      `--path=${dir}/data/`,
      `--tmp_path=${dir}/tmp/`,
      `--user_files_path=${dir}/uf/`,
      `--format_schema_path=${dir}/fs/`,
      `--http_port=${http}`,
      `--tcp_port=${tcp}`,
      `--interserver_http_port=${inter}`,
      '--listen_host=127.0.0.1',
      `--logger.log=${dir}/server.log`,
      `--logger.errorlog=${dir}/error.log`,
    ],
    { stdio: 'ignore' },
  );
  process.on('exit', () => proc.kill('SIGKILL'));
  const url = `http://127.0.0.1:${http}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/ping`)).ok) return { url, proc };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error('clickhouse-server did not start');
}

function report(name, rates) {
  const sorted = [...rates].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const fmt = (x) => Math.round(x).toLocaleString('en-US');
  console.log(
    `${name.padEnd(28)} ${fmt(median).padStart(9)} rows/s median  (min ${fmt(sorted[0])}, max ${fmt(sorted[sorted.length - 1])}; ` +
      `${ROWS.toLocaleString('en-US')} findings, batch ${BATCH.toLocaleString('en-US')}, ${REPEATS} repeats after a warm-up)`,
  );
}

const work = mkdtempSync(join(tmpdir(), 'clonewatch-bench-ch-'));
try {
  if (values.only !== 'server') {
    const dir = join(work, 'chdb');
    await measure(dir, 'bench_warmup', 999);
    const rates = [];
    for (let r = 0; r < REPEATS; r++) rates.push(await measure(dir, `bench_${r}`, r));
    report('chDB (embedded, JSONEachRow)', rates);
  }
  if (values.only !== 'chdb') {
    if (!existsSync('/usr/sbin/clickhouse-server')) {
      console.log('clickhouse-server not installed: server skipped');
    } else {
      const dir = join(work, 'server');
      mkdirSync(dir);
      const { url, proc } = await startServer(dir);
      try {
        await measure(url, 'bench_warmup', 999);
        const rates = [];
        for (let r = 0; r < REPEATS; r++) rates.push(await measure(url, `bench_${r}`, r));
        report('clickhouse-server 18.16 (RowBinary)', rates);
      } finally {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
