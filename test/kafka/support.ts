// Shared by the streaming integration tests: the built CLI as child processes (so kill -9 is real), a
// deterministic CDR stream with planted clones, reading topics with kcat, and the expected findings
// computed in-process by the same engine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.js';
import type { BlockCandidate, Finding } from '../../src/domain/types.js';
import { Engine } from '../../src/engine/engine.js';
import { CdrCsvParser } from '../../src/input/cdr-csv.js';
import { loadCellCatalogue } from '../../src/input/cell-catalogue.js';
import { ExceptionList } from '../../src/input/exception-list.js';
import { readFileSync } from 'node:fs';
import { CLI, ROOT } from '../helpers/cli.js';
import { freePort } from '../helpers/clickhouse-server.js';

export { ROOT };
export const TOPICS = { cdrs: 4, 'block-candidates': 2, 'cdrs-rejects': 1 };
export const SMALL_CELLS = join(ROOT, 'fixtures/both-rules/cells.csv');

let built = false;
/** Compile src to dist once per test file, so the child processes run the code under test. */
export function buildOnce(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
  built = true;
}

export function tempDir(prefix = 'clonewatch-kafka-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Every child this file started and that still runs gets SIGKILL (afterAll / afterEach). */
export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 30000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export interface RunProcess {
  proc: ChildProcess;
  port: number;
  log(): string;
  metrics(): Promise<Record<string, number>>;
  health(): Promise<{ status: number; body: Record<string, unknown> }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `clonewatch run` with test-friendly timings (fast joins, commits and drains). */
/** The Prometheus text a process serves on /metrics at `port`, as series name (labels included) -> value. */
export async function scrapeMetrics(port: number): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
  const m: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const i = line.lastIndexOf(' ');
    m[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return m;
}

export async function startRun(brokers: string[], args: string[], env: Record<string, string> = {}): Promise<RunProcess> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      CLI,
      'run',
      '--brokers',
      brokers.join(','),
      '--session-timeout-ms',
      '3000',
      '--commit-interval-ms',
      '200',
      '--idle-drain-ms',
      '500',
      '--metrics-host',
      '127.0.0.1',
      '--metrics-port',
      String(port),
      '--shutdown-timeout-ms',
      '15000',
      ...args,
    ],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      res({ code, signal });
    }),
  );
  const metrics = (): Promise<Record<string, number>> => scrapeMetrics(port);
  const rp: RunProcess = {
    proc,
    port,
    log: () => out,
    metrics,
    async health() {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  const up = waitFor('run to serve /metrics', async () => (await metrics().catch(() => null)) !== null);
  const died = exited.then((e) => {
    throw new Error(`run exited with ${e.code ?? e.signal} before serving /metrics: ${out.slice(-2000)}`);
  });
  await Promise.race([up, died]);
  died.catch(() => {});
  return rp;
}

/** Wait until a run has consumed `n` live records and has nothing left buffered or uncommitted. */
export async function waitConsumed(runs: RunProcess[], n: number, timeoutMs = 60000): Promise<void> {
  await waitFor(
    `${n} records consumed`,
    async () => {
      const ms = await Promise.all(runs.map((r) => r.metrics()));
      const total = ms.reduce((s, m) => s + (m.clonewatch_records_in_total ?? 0), 0);
      const buffered = ms.reduce((s, m) => s + (m.clonewatch_buffered_records ?? 0), 0);
      return total >= n && buffered === 0;
    },
    timeoutMs,
    200,
  );
  // One more commit interval plus an idle drain, so the last outputs are confirmed.
  await new Promise((r) => setTimeout(r, 900));
}

/** `clonewatch replay` as a child process. */
export function replay(brokers: string[], cdrs: string, extra: string[] = []): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'replay', '--cdrs', cdrs, '--brokers', brokers.join(','), ...extra], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(p);
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.once('exit', (code) => {
      children.delete(p);
      resolve({ code, stderr: err });
    });
  });
}

/** Every message of a topic (all partitions), read with kcat without a consumer group. */
export function readTopic(brokers: string[], topic: string): Array<{ partition: number; offset: number; key: string; value: string }> {
  const r = spawnSync('kcat', ['-b', brokers.join(','), '-C', '-t', topic, '-e', '-q', '-f', '%p\t%o\t%k\t%s\n'], { encoding: 'utf8', timeout: 15000 });
  if (r.status !== 0) throw new Error(`kcat failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [p, o, k, ...v] = l.split('\t');
      return { partition: Number(p), offset: Number(o), key: k, value: v.join('\t') };
    });
}

/** A tiny deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NEAR = ['LTE,716,6,1001,100', 'LTE,716,6,1001,101', 'UMTS,716,10,51,7001'];
const FAR = ['LTE,716,6,1002,200', 'LTE,716,6,1003,300', 'GSM,716,17,61,4001'];

/**
 * A CDR stream in event-time order over `hours` hours on the small fixture catalogue: `devices` honest
 * devices (one IMSI each) and `clones` IMEIs shared by two or three IMSIs, some overlapping in time
 * (simultaneity), some far apart (time_distance). Every start is distinct, so evidence never depends on ties.
 */
export function generateStream(opts: { devices: number; clones: number; hours: number; seed?: number; dayOffset?: number; idPrefix?: string }): string {
  const r = rng(opts.seed ?? 7);
  const t0 = Date.UTC(2026, 2, 2 + (opts.dayOffset ?? 0), 0, 0, 0);
  const prefix = opts.idPrefix ?? 's';
  const spanMs = opts.hours * 3600_000;
  const rows: Array<{ t: number; line: string }> = [];
  let id = 0;
  const used = new Set<number>();
  const add = (imei: string, imsi: string, t: number, dur: number, cell: string) => {
    while (used.has(t)) t++;
    used.add(t);
    const type = dur === 0 ? 'sms_mo' : 'voice_mo';
    rows.push({ t, line: `${prefix}${++id},${type},${imei},${imsi},519${imsi.slice(-8)},${new Date(t).toISOString()},${dur},${cell}` });
  };
  for (let d = 0; d < opts.devices; d++) {
    const imei = `35${String(100000000000 + d).padStart(12, '0')}0`;
    const imsi = `71606${String(1000000000 + d)}`;
    for (let t = t0 + r() * 600_000; t < t0 + spanMs; t += 120_000 + r() * 900_000) add(imei, imsi, Math.floor(t), r() < 0.3 ? 0 : Math.floor(r() * 300), NEAR[Math.floor(r() * NEAR.length)]);
  }
  for (let c = 0; c < opts.clones; c++) {
    const imei = `86${String(200000000000 + c).padStart(12, '0')}0`;
    const n = c % 5 === 0 ? 3 : 2;
    for (let k = 0; k < n; k++) {
      const imsi = `71610${String(2000000000 + c * 10 + k)}`;
      const cells = k === 0 ? NEAR : FAR;
      for (let t = t0 + r() * 1800_000; t < t0 + spanMs; t += 300_000 + r() * 1800_000) add(imei, imsi, Math.floor(t), Math.floor(60 + r() * 600), cells[Math.floor(r() * cells.length)]);
    }
  }
  rows.sort((a, b) => a.t - b.t);
  return 'record_id,event_type,imei,imsi,msisdn,start_time,duration_s,radio,mcc,mnc,lac,ci\n' + rows.map((x) => x.line).join('\n') + '\n';
}

export function writeStream(dir: string, csv: string): string {
  const p = join(dir, 'stream.csv');
  writeFileSync(p, csv);
  return p;
}

export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return configSchema.parse(overrides);
}

/**
 * What `run` must find for a stream in event-time order: the same engine over the file with matching on
 * arrival (run's default ordering delay 0) and a final drain. State is per IMEI key, so per-partition
 * engines find exactly this when no CDR is late.
 */
export async function expectedOutputs(csvPath: string, cellsPath: string, config: Config = testConfig()): Promise<{ findings: Finding[]; candidates: BlockCandidate[] }> {
  const { catalogue } = await loadCellCatalogue(cellsPath, config);
  const engine = new Engine(config, { cells: catalogue, exceptions: ExceptionList.empty() }, { orderingDelayMs: config.stream.orderingDelayS * 1000 });
  const findings: Finding[] = [];
  const candidates: BlockCandidate[] = [];
  const parser = new CdrCsvParser(csvPath, -300, {
    record(cdr) {
      engine.offer(cdr, 0);
      const o = engine.take();
      findings.push(...o.findings);
      candidates.push(...o.candidates);
    },
    reject() {},
  });
  parser.push(readFileSync(csvPath));
  parser.end();
  engine.drain(0);
  const o = engine.take();
  findings.push(...o.findings);
  candidates.push(...o.candidates);
  return { findings, candidates };
}

export const candidateKey = (c: Pick<BlockCandidate, 'imei' | 'imsis'>): string => `${c.imei}|${[...c.imsis].sort().join(',')}`;

/** Committed offsets of a group and the end offsets of a topic, partition by partition. */
export async function offsets(brokers: string[], groupId: string, topic: string): Promise<{ committed: number[]; end: number[] }> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ brokers, clientId: 'test-admin', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const end = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
    const c = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
    return { committed: c, end };
  } finally {
    await admin.disconnect();
  }
}

/** Wait until the group has committed every message of the topic. */
export async function waitAllCommitted(brokers: string[], groupId: string, topic: string, timeoutMs = 60000): Promise<void> {
  await waitFor(
    `group ${groupId} to commit all of ${topic}`,
    async () => {
      const o = await offsets(brokers, groupId, topic);
      return o.end.every((e, i) => e === 0 || o.committed[i] === e);
    },
    timeoutMs,
    250,
  );
}

export function splitCsv(csv: string, parts: number): string[] {
  const [header, ...rows] = csv.trimEnd().split('\n');
  const size = Math.ceil(rows.length / parts);
  const out: string[] = [];
  for (let i = 0; i < parts; i++) out.push(header + '\n' + rows.slice(i * size, (i + 1) * size).join('\n') + '\n');
  return out;
}
