#!/usr/bin/env node
// Streaming benchmark of `clonewatch run` (issue 5), on loopback with real services:
//   1. sustained CDR/s: replay N generated CDRs (bench generator) into the mock Kafka cluster, then time
//      `run` consuming them all (engine + ClickHouse sink + commits);
//   2. latency: with live traffic at --live-rate msg/s carrying a planted clone pair every 50 ms, the time
//      from producing a pair's second CDR to its finding being visible in ClickHouse (p50/p99).
// Usage: npm run build && node bench/kafka-bench.mjs [--cli dist/cli/main.js] [--rows 1000000] [--partitions 64] [--brokers 3] [--live-rate 20000] [--live-s 20]
//   [--node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"]  (node flags for the `run` processes, e.g. a CPU profile)
//   [--flush-ms N] [--commit-ms N]  (clickhouse.flushIntervalMs for both parts, --commit-interval-ms for the live part;
//   default: the product's defaults, 1000 and 1000)
//   [--replay-batch N]  (messages per produce request of the backlog's replay, default 20000: record batches of
//   ~310 messages (~78 KB) per partition. The mock broker returns one record batch per partition per fetch, so this
//   sets the size of the batches `run` gets; a real broker fills a fetch up to maxBytesPerPartition (1 MB) from
//   however many record batches. `replay`'s own default, 2000, gives batches of ~31 messages here)
//   [--skip-live | --skip-throughput]  (only one of the two parts)  [--run-args="..."]  (more flags for both run processes)
// The mock cluster keeps only ~5 MB (and at most 100k messages) per partition, so the backlog is spread over
// 64 partitions by default; a real cluster has no such limit.
// Needs gcc + librdkafka-dev (mock broker) and clickhouse-server (Debian 18.16), as the integration tests.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '64' },
    'live-rate': { type: 'string', default: '20000' },
    'live-s': { type: 'string', default: '20' },
    seed: { type: 'string', default: '5' },
    brokers: { type: 'string', default: '3' },
    'node-args': { type: 'string', default: '' },
    'skip-live': { type: 'boolean', default: false },
    'skip-throughput': { type: 'boolean', default: false },
    'run-args': { type: 'string', default: '' },
    cli: { type: 'string', default: join(ROOT, 'dist/cli/main.js') },
    'flush-ms': { type: 'string', default: '' },
    'commit-ms': { type: 'string', default: '' },
    'replay-batch': { type: 'string', default: '20000' },
  },
});
const CLI = resolve(a.cli);
const ROWS = Number(a.rows);
const PARTITIONS = Number(a.partitions);
const LIVE_RATE = Number(a['live-rate']);
const LIVE_S = Number(a['live-s']);
const BROKERS = Number(a.brokers);
const NODE_ARGS = a['node-args'].split(/\s+/).filter(Boolean);
const RUN_ARGS = a['run-args'].split(/\s+/).filter(Boolean);
const cleanups = [];
/** Pids of the mock brokers and the ClickHouse server: they run on the same cores as `run`. */
const services = { brokers: 0, clickhouse: 0 };
/** CPU seconds a process has used (utime + stime of /proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}
const log = (m) => process.stderr.write(`[kafka-bench] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

async function waitFor(what, fn, timeoutMs = 120000, every = 100) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {}
    await sleep(every);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function startMockKafka(topics) {
  const src = join(ROOT, 'tools/mock-kafka/mock-kafka.c');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const bin = join(ROOT, 'tools/mock-kafka/build', `mock-kafka-${hash}`);
  if (!existsSync(bin)) {
    mkdirSync(dirname(bin), { recursive: true });
    const r = spawnSync('gcc', ['-O2', '-o', bin + '.tmp', src, '-lrdkafka'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc: ${r.stderr}`);
    renameSync(bin + '.tmp', bin);
  }
  // Three brokers, as a real cluster has: partition leaders spread, so the consumer fetches from three in parallel.
  const p = spawn(bin, ['-b', String(BROKERS), ...Object.entries(topics).map(([t, n]) => `${t}:${n}`)], { stdio: ['pipe', 'pipe', 'inherit'] });
  services.brokers = p.pid;
  cleanups.push(() => p.kill('SIGKILL'));
  return new Promise((res, rej) => {
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = /BOOTSTRAP (\S+)/.exec(out);
      if (m) res(m[1]);
    });
    p.on('exit', (c) => rej(new Error(`mock-kafka exited ${c}`)));
  });
}

async function startClickHouse() {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-ch-'));
  for (const s of ['data', 'tmp', 'uf', 'fs']) mkdirSync(join(dir, s));
  const [http, tcp, inter] = [await freePort(), await freePort(), await freePort()];
  const p = spawn('/usr/sbin/clickhouse-server', [
    '--config-file=/etc/clickhouse-server/config.xml', '--',
    `--path=${dir}/data/`, `--tmp_path=${dir}/tmp/`, `--user_files_path=${dir}/uf/`, `--format_schema_path=${dir}/fs/`,
    `--http_port=${http}`, `--tcp_port=${tcp}`, `--interserver_http_port=${inter}`, '--listen_host=127.0.0.1',
    `--logger.log=${dir}/s.log`, `--logger.errorlog=${dir}/e.log`,
  ], { stdio: 'ignore' });
  services.clickhouse = p.pid;
  cleanups.push(() => {
    p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${http}`;
  await waitFor('clickhouse ping', async () => (await fetch(`${url}/ping`)).ok, 30000);
  return url;
}

async function chQuery(url, sql) {
  const r = await fetch(url + '/', { method: 'POST', body: sql });
  const t = await r.text();
  if (!r.ok) throw new Error(t);
  return t;
}

function startRun(brokers, args) {
  const p = spawn(process.execPath, [...NODE_ARGS, CLI, 'run', '--brokers', brokers, ...args, ...RUN_ARGS], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => (err = (err + d).slice(-20000)));
  cleanups.push(() => p.kill('SIGKILL'));
  return { p, log: () => err };
}

async function metrics(port) {
  const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = {};
  for (const l of t.split('\n')) if (l && !l.startsWith('#')) m[l.slice(0, l.lastIndexOf(' '))] = Number(l.slice(l.lastIndexOf(' ') + 1));
  return m;
}

const pct = (xs, q) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

const machine = () => `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

/** 1. Produce everything first, then time the consumer on a full backlog. */
async function sustained(brokers, ch, data, port, common, cfg) {
  const t0 = Date.now();
  const rp = spawnSync(process.execPath, [CLI, 'replay', '--cdrs', join(data, 'cdrs'), '--brokers', brokers, '--batch', a['replay-batch']], { cwd: ROOT, encoding: 'utf8' });
  if (rp.status !== 0) throw new Error(rp.stderr);
  const replayS = (Date.now() - t0) / 1000;
  log(rp.stderr.trim());
  const lines = Number(/replayed (\d+)/.exec(rp.stderr)[1]);

  const run = startRun(brokers, [...common, '--config', cfg, '--group-id', `bench-${Date.now()}`, '--clickhouse', `${ch}/bench`]);
  await waitFor('run metrics', () => metrics(port), 30000);
  let first = 0;
  let cpuAtFirst = 0;
  let chCpuAtFirst = 0;
  let brokersCpuAtFirst = 0;
  let peakRss = 0;
  let peakState = 0;
  const m = await waitFor(
    'backlog consumed',
    async () => {
      const x = await metrics(port);
      if (!first && x.clonewatch_records_in_total > 0) {
        first = performance.now();
        cpuAtFirst = x.clonewatch_process_cpu_seconds;
        chCpuAtFirst = cpuSeconds(services.clickhouse);
        brokersCpuAtFirst = cpuSeconds(services.brokers);
      }
      peakRss = Math.max(peakRss, x.clonewatch_process_resident_bytes ?? 0);
      peakState = Math.max(peakState, x.clonewatch_state_bytes ?? 0);
      return x.clonewatch_records_in_total >= lines ? x : null;
    },
    600000,
    100,
  );
  const consumeS = (performance.now() - first) / 1000;
  const cpuS = m.clonewatch_process_cpu_seconds - cpuAtFirst;
  const chCpuS = cpuSeconds(services.clickhouse) - chCpuAtFirst;
  const brokersCpuS = cpuSeconds(services.brokers) - brokersCpuAtFirst;
  const findings = (m['clonewatch_findings_total{rule="simultaneity"}'] ?? 0) + (m['clonewatch_findings_total{rule="time_distance"}'] ?? 0);
  run.p.kill('SIGTERM');
  await new Promise((r) => run.p.once('exit', r));
  const inCh = Number((await chQuery(ch, 'SELECT count() FROM bench.suspected_clones FINAL')).trim());
  // Inserts the server took (every table, this run and the schema's own): each costs ClickHouse CPU on the same cores.
  const chInserts = Number((await chQuery(ch, "SELECT value FROM system.events WHERE event = 'InsertQuery'")).trim() || 0);
  log(`throughput: ${lines} CDRs in ${consumeS.toFixed(2)} s = ${Math.round(lines / consumeS)} CDR/s (${Math.round(lines / cpuS)} per CPU-second of run); ${findings} findings (${inCh} in ClickHouse after FINAL)`);

  return {
    machine: machine(),
    rows: lines,
    partitions: PARTITIONS,
    brokers: BROKERS,
    replayMsgPerS: Math.round(lines / replayS),
    runCdrPerS: Math.round(lines / consumeS),
    runCdrPerCpuS: Math.round(lines / cpuS),
    runCpuS: Number(cpuS.toFixed(2)),
    // The services' CPU while `run` consumed: on this machine they share its cores.
    clickhouseCpuS: Number(chCpuS.toFixed(2)),
    brokersCpuS: Number(brokersCpuS.toFixed(2)),
    loadAverage1m: Number((await import('node:os')).loadavg()[0].toFixed(2)),
    findings,
    findingsInClickHouseFinal: inCh,
    clickhouseInserts: chInserts,
    replayBatch: Number(a['replay-batch']),
    batches: m.clonewatch_batch_seconds_count,
    commits: m.clonewatch_commits_total,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    peakStateMiB: Math.round(peakState / 2 ** 20),
  };
}

async function main() {
  if (!existsSync(CLI)) throw new Error('run "npm run build" first');
  // Data: the bench generator's CDRs with the Peru catalogue.
  const data = join(ROOT, `bench/data/kafka-${ROWS}-seed${a.seed}`);
  if (!existsSync(join(data, 'cdrs'))) {
    if (!existsSync(join(ROOT, 'bench/dist/gen-cli.js'))) spawnSync('npm', ['run', '-s', 'bench:build'], { cwd: ROOT, stdio: 'inherit' });
    log(`generating ${ROWS} CDRs into ${data}`);
    const g = spawnSync(process.execPath, [join(ROOT, 'bench/dist/gen-cli.js'), '--rows', String(ROWS), '--seed', a.seed, '--out', data, '--quiet'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    if (g.status !== 0) throw new Error('generator failed');
  }
  const brokers = await startMockKafka({ cdrs: PARTITIONS, 'cdrs-live': PARTITIONS, 'block-candidates': 2, 'cdrs-rejects': 1 });
  const ch = await startClickHouse();
  log(`broker ${brokers}, clickhouse ${ch}`);

  const port = await freePort();
  const common = ['--cells', join(data, 'cells.csv'), '--exceptions', join(data, 'exceptions.csv'), '--session-timeout-ms', '6000', '--metrics-host', '127.0.0.1', '--metrics-port', String(port)];
  // The product's defaults unless asked (--flush-ms N sets clickhouse.flushIntervalMs for both parts).
  const cfg = join(mkdtempSync(join(tmpdir(), 'cw-bench-')), 'config.json');
  writeFileSync(cfg, JSON.stringify(a['flush-ms'] ? { clickhouse: { flushIntervalMs: Number(a['flush-ms']) } } : {}));
  const throughput = a['skip-throughput'] ? { machine: machine() } : await sustained(brokers, ch, data, port, common, cfg);
  if (a['skip-live']) {
    process.stdout.write(JSON.stringify(throughput, null, 2) + '\n');
    return;
  }

  // 2. Latency under live load: honest traffic plus one clone pair every 50 ms, event time = wall time.
  const port2 = await freePort();
  const common2 = common.map((x) => (x === String(port) ? String(port2) : x));
  const live = startRun(brokers, [...common2, '--config', cfg, '--topic', 'cdrs-live', '--group-id', `live-${Date.now()}`, '--clickhouse', `${ch}/live`, ...(a['commit-ms'] ? ['--commit-interval-ms', a['commit-ms']] : [])]);
  await waitFor('live run metrics', () => metrics(port2), 30000);
  const kafka = new kafkajs.Kafka({ brokers: brokers.split(','), clientId: 'bench', logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  // Wait for the group join (first message consumed) before timing.
  await producer.send({ topic: 'cdrs-live', messages: [{ key: 'warm', value: '{}' }] });
  await waitFor('live consumer joined', async () => (await metrics(port2)).clonewatch_records_in_total >= 1, 30000);
  const liveCpu0 = (await metrics(port2)).clonewatch_process_cpu_seconds;
  const cdr = (id, imei, imsi, t, dur) =>
    JSON.stringify({ record_id: id, event_type: 'voice_mo', imei, imsi, msisdn: '', start_time: new Date(t).toISOString(), duration_s: dur, radio: 'LTE', mcc: 716, mnc: 6, lac: 1, ci: 1 });
  const sentAt = new Map();
  let seq = 0;
  let pairs = 0;
  const tick = 50;
  const perTick = Math.round((LIVE_RATE * tick) / 1000);
  const endAt = Date.now() + LIVE_S * 1000;
  let sent = 0;
  const seen = new Map();
  const poller = (async () => {
    while (Date.now() < endAt + 5000) {
      const t = await chQuery(ch, "SELECT record_b FROM live.suspected_clones WHERE record_b LIKE 'lat-%' FORMAT TabSeparated").catch(() => '');
      const now = Date.now();
      for (const id of t.split('\n')) if (id && !seen.has(id)) seen.set(id, now);
      await sleep(25);
    }
  })();
  while (Date.now() < endAt) {
    const tickStart = Date.now();
    const msgs = [];
    for (let i = 0; i < perTick - 2; i++) {
      const imei = `35${String(10_000_000_000 + ((seq * 7919) % 5_000_000)).padStart(12, '0')}`;
      msgs.push({ key: imei, value: cdr(`bg-${seq++}`, imei, `716${String(1e11 + (seq % 5_000_000))}`, tickStart, 30) });
    }
    const imei = `86${String(50_000_000_000 + pairs).padStart(12, '0')}`;
    const idB = `lat-${pairs}`;
    msgs.push({ key: imei, value: cdr(`lat-a-${pairs}`, imei, '716061111111111', tickStart - 60_000, 300) });
    msgs.push({ key: imei, value: cdr(idB, imei, '716062222222222', tickStart - 30_000, 300) });
    pairs++;
    sentAt.set(idB, Date.now());
    await producer.send({ topic: 'cdrs-live', acks: 1, messages: msgs });
    sent += msgs.length;
    const wait = tick - (Date.now() - tickStart);
    if (wait > 0) await sleep(wait);
  }
  const actualRate = Math.round(sent / LIVE_S);
  await poller;
  await producer.disconnect();
  const lat = [];
  for (const [id, t] of sentAt) if (seen.has(id)) lat.push(seen.get(id) - t);
  const lm = await metrics(port2);
  live.p.kill('SIGTERM');
  await new Promise((r) => live.p.once('exit', r));
  const result = {
    ...throughput,
    live: {
      rateMsgPerS: actualRate,
      pairs,
      visible: lat.length,
      p50Ms: pct(lat, 0.5),
      p99Ms: pct(lat, 0.99),
      maxMs: Math.max(...lat),
      pollMs: 25,
      runCpuS: Number((lm.clonewatch_process_cpu_seconds - liveCpu0).toFixed(2)),
      metricsFindingLatencyCount: lm.clonewatch_finding_latency_seconds_count,
    },
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main()
  .catch((e) => {
    process.stderr.write(`kafka-bench: ${e.stack ?? e}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch {}
    }
  });
