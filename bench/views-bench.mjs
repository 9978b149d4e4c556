#!/usr/bin/env node
// Size and render time of the analysts' pages (issue 13): a report over N findings (default 10,000) and the
// explain page of an IMEI at the per-IMEI cap (100 findings, 15 IMSIs), in headless Chromium (Debian's
// /usr/bin/chromium via playwright-core). Needs `npm run build`. Not a test: prints a Markdown table.
//
//   node bench/views-bench.mjs [--findings 10000] [--repeats 5] [--out bench/out/views]
//
// The store is a fresh chDB directory filled through the real ClickHouse sink with synthetic findings over
// 30 days at cells of cell-sites/peru-cells.csv (a time-distance pair between two cities, a simultaneity pair
// in one), one candidate per IMEI, rejects of every reason and one run. `report` and `explain` then run as
// the CLI; each page is opened `repeats` times after one warm-up, in a fresh tab, and timed from navigation
// start to the load event (everything is inline, so load = parsed, styled and laid out) and to first paint.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    findings: { type: 'string', default: '10000' },
    repeats: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/out/views' },
    'seed-store': { type: 'string' },
  },
});
const ROOT = resolve(new URL('..', import.meta.url).pathname);
const CLI = join(ROOT, 'dist/cli/main.js');
if (!existsSync(CLI)) {
  console.error('run "npm run build" first');
  process.exit(2);
}
const N = Number(values.findings);
const BUSY_IMEI = '35999900000001';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cells() {
  const lines = readFileSync(join(ROOT, 'cell-sites/peru-cells.csv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const v = l.split(',');
    return { id: `${v[0]}:${v[1]}:${v[2]}:${v[3]}:${v[4]}`, lon: Number(v[6]), lat: Number(v[7]) };
  });
}

function haversineKm(a, b) {
  const r = Math.PI / 180;
  const h = Math.sin(((b.lat - a.lat) * r) / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(((b.lon - a.lon) * r) / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
}

/** Synthetic findings: ~3 per IMEI, plus one IMEI at the cap of 100 pair findings among 15 IMSIs. */
function synthetic(n) {
  const rand = rng(13);
  const cs = cells();
  const base = Date.UTC(2026, 9, 1);
  const findings = [];
  const byImei = new Map();
  const add = (imei, i, imsiA, imsiB) => {
    const td = rand() < 0.5;
    const a = cs[Math.floor(rand() * cs.length)];
    let b = a;
    if (td) for (let k = 0; k < 20 && haversineKm(a, b) < 300; k++) b = cs[Math.floor(rand() * cs.length)];
    const t = base + Math.floor(rand() * 30 * 86_400_000);
    const gap = td ? 60 + Math.floor(rand() * 1800) : 0;
    const dist = Math.max(0, haversineKm(a, b) - 2);
    findings.push({
      imei,
      imei_reported_a: imei + '0',
      imei_reported_b: imei + '0',
      rule: td ? 'time_distance' : 'simultaneity',
      imsi_a: imsiA,
      imsi_b: imsiB,
      msisdn_a: '519' + imsiA.slice(-8),
      msisdn_b: '519' + imsiB.slice(-8),
      record_a: `r-${i}-a`,
      record_b: `r-${i}-b`,
      time_a: new Date(t).toISOString(),
      time_b: new Date(t + (td ? 120_000 + gap * 1000 : 45_000)).toISOString(),
      cell_a: a.id,
      cell_b: b.id,
      lat_a: a.lat,
      lon_a: a.lon,
      lat_b: b.lat,
      lon_b: b.lon,
      distance_km: Math.round(dist * 1000) / 1000,
      gap_s: gap,
      overlap_s: td ? 0 : 30 + Math.floor(rand() * 300),
      speed_kmh: td ? Math.round((dist / (gap / 3600)) * 10) / 10 : null,
      exempt_imsis: [],
      detected_at: new Date().toISOString(),
      finding_id: `bench-${i.toString(16).padStart(8, '0')}`,
    });
    const s = byImei.get(imei) ?? { imsis: new Set(), rules: new Set(), first: Infinity, n: 0 };
    s.imsis.add(imsiA).add(imsiB);
    s.rules.add(td ? 'time_distance' : 'simultaneity');
    s.first = Math.min(s.first, t);
    s.n++;
    byImei.set(imei, s);
  };
  let i = 0;
  const busyImsis = Array.from({ length: 15 }, (_, k) => String(716100000100000 + k));
  for (let k = 0; k < 100; k++, i++) add(BUSY_IMEI, i, busyImsis[k % 15], busyImsis[(k * 7 + 1) % 15 === k % 15 ? (k + 1) % 15 : (k * 7 + 1) % 15]);
  while (i < n) {
    const imei = String(35000000000000 + Math.floor(rand() * 3_000) * 7919);
    const owner = String(716100000000000 + Number(imei.slice(-7)));
    add(imei, i++, owner, String(Number(owner) + 900_000_000));
  }
  const candidates = [...byImei.entries()].map(([imei, s]) => ({
    imei,
    imsis: [...s.imsis].sort(),
    exempt_imsis: [],
    rules: [...s.rules].sort(),
    first_evidence_at: new Date(s.first).toISOString(),
    findings: s.n,
    emitted_at: new Date().toISOString(),
  }));
  const reasons = ['missing_field', 'invalid_imei', 'invalid_time', 'invalid_cell', 'duplicate_record', 'late_record', 'malformed_row'];
  const rejects = Array.from({ length: 700 }, (_, k) => ({ source: 'bench.csv', line: k + 2, reason: reasons[k % reasons.length], detail: 'bench', raw: 'x' }));
  return { findings, candidates, rejects };
}

async function seedStore(dir) {
  const { openClickHouseSink } = await import(pathToFileURL(join(ROOT, 'dist/sinks/clickhouse/index.js')).href);
  const { clickhouseSchema } = await import(pathToFileURL(join(ROOT, 'dist/config/schema.js')).href);
  const data = synthetic(N);
  const sink = await openClickHouseSink(clickhouseSchema.parse({ target: dir }), { runId: 'bench-views' });
  for (let k = 0; k < data.findings.length; k += 2000) await sink.write({ findings: data.findings.slice(k, k + 2000), candidates: [], rejects: [] });
  await sink.write({ findings: [], candidates: data.candidates, rejects: data.rejects });
  const now = new Date().toISOString();
  await sink.recordRun({
    run_id: 'bench-views',
    mode: 'detect',
    started_at: now,
    finished_at: now,
    inputs: 'bench/views-bench.mjs (synthetic)',
    counters: {
      recordsRead: N * 10,
      recordsAccepted: N * 10 - data.rejects.length,
      rejectsByReason: {},
      findingsByRule: { simultaneity: data.findings.filter((f) => f.rule === 'simultaneity').length, time_distance: data.findings.filter((f) => f.rule === 'time_distance').length },
      suppressedByRule: { simultaneity: 0, time_distance: 0 },
      candidates: data.candidates.length,
      unknownCell: 0,
    },
    config_json: '{}',
    notes: [],
  });
  await sink.close();
  console.log(JSON.stringify({ findings: data.findings.length, candidates: data.candidates.length }));
}

if (values['seed-store']) {
  await seedStore(values['seed-store']);
  process.exit(0);
}

function cli(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`clonewatch ${args[0]} failed: ${r.stderr}`);
  return s;
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

const out = resolve(values.out);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const store = join(out, 'clickhouse');
const seed = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--seed-store', store, '--findings', String(N)], { encoding: 'utf8' });
if (seed.status !== 0) throw new Error(`seeding failed: ${seed.stderr}`);
const seeded = JSON.parse(seed.stdout.trim().split('\n').at(-1));

const reportS = cli(['report', '--clickhouse', store, '--out', join(out, 'report')]);
const explainS = cli(['explain', BUSY_IMEI, '--clickhouse', store, '--cells', join(ROOT, 'cell-sites/peru-cells.csv'), '--out', join(out, 'explain-busy.html')]);
const pages = {
  [`report.html (${seeded.findings.toLocaleString('en-US')} findings, ${seeded.candidates.toLocaleString('en-US')} candidates)`]: join(out, 'report/report.html'),
  'explain page, IMEI at the cap (100 findings, 15 IMSIs)': join(out, 'explain-busy.html'),
};

const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: process.env.CLONEWATCH_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const rows = [];
for (const [name, file] of Object.entries(pages)) {
  const load = [];
  const paint = [];
  for (let k = 0; k <= Number(values.repeats); k++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    // First contentful paint may be recorded after the load event: wait for it (buffered) up to 5 s.
    const t = await page.evaluate(
      () =>
        new Promise((done) => {
          const nav = performance.getEntriesByType('navigation')[0];
          const finish = (paint) => done({ load: nav.loadEventEnd, paint });
          new PerformanceObserver((list) => {
            const fcp = list.getEntries().find((e) => e.name === 'first-contentful-paint');
            if (fcp) finish(fcp.startTime);
          }).observe({ type: 'paint', buffered: true });
          setTimeout(() => finish(NaN), 5000);
        }),
    );
    if (errors.length) throw new Error(`${name}: console errors ${errors.join('; ')}`);
    if (k > 0) {
      load.push(t.load);
      paint.push(t.paint);
    }
    await page.close();
  }
  const l = stats(load);
  const p = stats(paint);
  rows.push(`| ${name} | ${(statSync(file).size / 1024).toFixed(0)} KB | ${l.median.toFixed(0)} ms (${l.min.toFixed(0)}-${l.max.toFixed(0)}) | ${p.median.toFixed(0)} ms (${p.min.toFixed(0)}-${p.max.toFixed(0)}) |`);
}
await browser.close();

console.log(`### Analysts' pages (issue 13), ${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`);
console.log('');
console.log(`Command: \`node bench/views-bench.mjs --findings ${N} --repeats ${values.repeats}\`; Chromium ${browser.version?.() ?? ''} headless via playwright-core.`);
console.log('');
console.log('| page | size | navigation to load event, median (min-max) | first contentful paint |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);
console.log('');
console.log(`CLI wall time (chDB start included): report ${reportS.toFixed(2)} s, explain ${explainS.toFixed(2)} s.`);
