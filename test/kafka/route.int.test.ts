// An operator's feed keyed any way (SPEC Kafka "clonewatch route"): CDRs produced with kcat (librdkafka)
// without keys, or keyed by IMEI with librdkafka's default partitioner, into a raw topic; `route` re-keys
// them into `cdrs`, `run` finds clones. The findings (finding_ids) and late rejects equal `detect`'s on the
// same CDRs, for a backlog produced before route starts and for live traffic; a value without a readable
// IMEI goes to the dead-letter topic. Real clients, real broker protocol (librdkafka's mock cluster).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { murmur2Partition } from '../../src/kafka/murmur2.js';
import { CLI, readNdjson } from '../helpers/cli.js';
import { startMockKafka, type MockBroker } from '../helpers/kafka-broker.js';
import { freePort } from '../helpers/clickhouse-server.js';
import { buildOnce, generateStream, killAll, readTopic, ROOT, scrapeMetrics, SMALL_CELLS, startRun, tempDir, waitFor, writeStream, type RunProcess } from './support.js';

const FIELDS = ['record_id', 'event_type', 'imei', 'imsi', 'msisdn', 'start_time', 'duration_s', 'radio', 'mcc', 'mnc', 'lac', 'ci'];

/**
 * The generated stream with planted trouble: rows moved an hour or more after their time (late_record in
 * detect and run alike), small in-bound disorder, and two rows without a readable IMEI.
 */
function feed(seed: number): { csv: string; rows: string[] } {
  const csv = generateStream({ devices: 250, clones: 25, hours: 4, seed, idPrefix: `r${seed}-` });
  const [header, ...rows] = csv.trimEnd().split('\n');
  // In-bound disorder: swap neighbours (their starts are seconds apart).
  for (let i = 10; i + 1 < rows.length; i += 37) [rows[i], rows[i + 1]] = [rows[i + 1], rows[i]];
  // Late rows: taken out and put back ~3000 rows later (over an hour of event time).
  const late: string[] = [];
  for (let i = 200; i < rows.length - 3500; i += 900) late.push(...rows.splice(i, 1));
  late.forEach((r, k) => rows.splice(Math.min(rows.length, 200 + k * 900 + 3000), 0, r));
  rows.splice(100, 0, `${seed}-badimei,voice_mo,35ABC0000000001,716100000000009,,2026-03-02T00:10:00Z,60,LTE,716,6,1001,100`);
  rows.splice(300, 0, `${seed}-noimei,voice_mo,,716100000000009,,2026-03-02T00:20:00Z,60,LTE,716,6,1001,100`);
  return { csv: header + '\n' + rows.join('\n') + '\n', rows };
}

/** The rows as JSON values (text values, as an operator's mediation writes them), one a line. */
function jsonLines(rows: string[], keyed: boolean): string {
  return (
    rows
      .map((r) => {
        const v = r.split(',');
        const obj: Record<string, string> = {};
        FIELDS.forEach((f, i) => (obj[f] = v[i]));
        const json = JSON.stringify(obj);
        return keyed ? `${v[2].slice(0, 14) || 'none'}\t${json}` : json;
      })
      .join('\n') + '\n'
  );
}

/** kcat as a producer (librdkafka defaults: sticky spreading without a key, consistent_random with one). */
function kcatProduce(brokers: string[], topic: string, file: string, keyed: boolean): void {
  const args = ['-b', brokers.join(','), '-P', '-t', topic, '-l', file];
  if (keyed) args.push('-K', '\t');
  const r = spawnSync('kcat', args, { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error(`kcat failed: ${r.stderr}`);
}

const children = new Set<ChildProcess>();
async function startRoute(brokers: string[], args: string[]): Promise<{ proc: ChildProcess; port: number; log: () => string; metrics: () => Promise<Record<string, number>>; stop: () => Promise<number | null> }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, 'route', '--brokers', brokers.join(','), '--session-timeout-ms', '3000', '--commit-interval-ms', '200', '--metrics-host', '127.0.0.1', '--metrics-port', String(port), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => proc.once('exit', (c) => (children.delete(proc), res(c))));
  const metrics = () => scrapeMetrics(port);
  await waitFor('route to serve /metrics', async () => (proc.exitCode !== null ? Promise.reject(new Error(out)) : (await metrics().catch(() => null)) !== null), 30000);
  return {
    proc,
    port,
    log: () => out,
    metrics,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

const brokers: MockBroker[] = [];
beforeAll(() => buildOnce());
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  killAll();
  await Promise.all(brokers.map((b) => b.stop()));
});

async function detectExpect(dir: string, csvPath: string): Promise<{ ids: string[]; late: string[] }> {
  const out = join(dir, 'detect-out');
  const r = spawnSync(process.execPath, [CLI, 'detect', '--cdrs', csvPath, '--cells', SMALL_CELLS, '--out', out, '--clickhouse', 'none'], { cwd: ROOT, encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(r.stderr);
  const ids = readNdjson<{ finding_id: string }>(join(out, 'clones.ndjson')).map((f) => f.finding_id).sort();
  const late = readNdjson<{ reason: string; raw: string }>(join(out, 'rejects.ndjson'))
    .filter((x) => x.reason === 'late_record')
    .map((x) => x.raw.split(',')[0])
    .sort();
  return { ids, late };
}

async function routeAndRun(mode: 'backlog' | 'live', keyed: boolean, seed: number): Promise<void> {
  const b = await startMockKafka({ raw: 8, cdrs: 4, 'block-candidates': 1, 'cdrs-rejects': 1 });
  brokers.push(b);
  const dir = tempDir('clonewatch-route-');
  const { csv, rows } = feed(seed);
  const csvPath = writeStream(dir, csv);
  const want = await detectExpect(dir, csvPath);
  expect(want.late.length).toBeGreaterThan(3);
  expect(want.ids.length).toBeGreaterThan(10);

  const produce = (part: string[], i: number) => {
    const f = join(dir, `part-${i}.jsonl`);
    writeFileSync(f, jsonLines(part, keyed));
    kcatProduce(b.brokers, 'raw', f, keyed);
  };
  if (mode === 'backlog') produce(rows, 0);
  const out = tempDir();
  const route = await startRoute(b.brokers, ['--from', 'raw', '--to', 'cdrs', '--group-id', `route-${seed}`, '--max-idle-ms', '1500']);
  let run: RunProcess | null = null;
  try {
    run = await startRun(b.brokers, ['--topic', 'cdrs', '--group-id', `run-${seed}`, '--clickhouse', 'none', '--out', out, '--cells', SMALL_CELLS, '--ordering-delay-s', '600']);
    if (mode === 'live') {
      // Live traffic: the feed arrives in 12 pieces while route and run are running.
      const n = 12;
      const size = Math.ceil(rows.length / n);
      for (let i = 0; i < n; i++) {
        produce(rows.slice(i * size, (i + 1) * size), i);
        await new Promise((r) => setTimeout(r, 400));
      }
    }
    const routed = rows.length - 2;
    await waitFor(
      'route and run to go through the feed',
      async () => {
        const rm = await route.metrics();
        const m = await run!.metrics();
        return rm['clonewatch_route_records_out_total'] === routed && (m.clonewatch_records_in_total ?? 0) >= routed && m.clonewatch_buffered_records === 0;
      },
      120000,
      250,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect((await run.metrics())['clonewatch_misrouted_records_total'] ?? 0).toBe(0);
    expect((await run.health()).body.status).toBe('ok');
    expect((await run.stop()).code).toBe(0);
    expect(await route.stop()).toBe(0);
    // Every routed CDR is keyed by its IMEI key on murmur2's partition: run saw none misrouted.
    const sample = spawnSync('kcat', ['-b', b.brokers.join(','), '-C', '-t', 'cdrs', '-c', '300', '-e', '-q', '-f', '%p\t%k\t%s\n'], { encoding: 'utf8', timeout: 60000 });
    const keyedMsgs = sample.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [p, key, ...v] = l.split('\t');
        return { partition: Number(p), key, value: v.join('\t') };
      });
    expect(keyedMsgs.length).toBeGreaterThan(100);
    for (const m of keyedMsgs) {
      expect(m.key).toBe(String(JSON.parse(m.value).imei).slice(0, 14));
      expect(m.partition).toBe(murmur2Partition(m.key, 4));
    }
    const got = readNdjson<{ finding_id: string }>(join(out, 'clones.ndjson')).map((f) => f.finding_id).sort();
    expect(got).toEqual(want.ids);
    const late = readNdjson<{ reason: string; raw: string }>(join(out, 'rejects.ndjson'))
      .filter((x) => x.reason === 'late_record')
      .map((x) => JSON.parse(x.raw).record_id as string)
      .sort();
    expect(late).toEqual(want.late);
    // The two values without a readable IMEI are in the dead-letter topic with their reasons.
    const dlq = readTopic(b.brokers, 'cdrs-rejects').map((m) => JSON.parse(m.value) as { source: string; reason: string });
    expect(dlq.filter((x) => x.source.startsWith('raw/')).map((x) => x.reason).sort()).toEqual(['invalid_imei', 'missing_field']);
  } finally {
    await run?.stop('SIGKILL');
    route.proc.kill('SIGKILL');
  }
}

describe('run checks the keying of what it reads', () => {
  it('CDRs produced by kcat keyed by IMEI (consistent_random) straight into cdrs: counted, warned, /healthz degraded, still processed', async () => {
    const b = await startMockKafka({ cdrs: 4, 'block-candidates': 1, 'cdrs-rejects': 1 });
    brokers.push(b);
    const dir = tempDir('clonewatch-keying-');
    const csv = generateStream({ devices: 60, clones: 5, hours: 1, seed: 5, idPrefix: 'k-' });
    const rows = csv.trimEnd().split('\n').slice(1);
    const f = join(dir, 'keyed.jsonl');
    writeFileSync(f, jsonLines(rows, true));
    kcatProduce(b.brokers, 'cdrs', f, true);
    const run = await startRun(b.brokers, ['--topic', 'cdrs', '--group-id', 'keying', '--clickhouse', 'none', '--cells', SMALL_CELLS]);
    try {
      await waitFor('run to consume the feed', async () => ((await run.metrics()).clonewatch_records_in_total ?? 0) >= rows.length, 60000, 250);
      const m = await run.metrics();
      const misrouted = Object.entries(m)
        .filter(([k]) => k.startsWith('clonewatch_misrouted_records_total'))
        .reduce((s, [, v]) => s + v, 0);
      // CRC32 and murmur2 agree on about a quarter of the keys with 4 partitions: most are misrouted.
      expect(misrouted).toBeGreaterThan(rows.length / 2);
      expect(misrouted).toBeLessThan(rows.length);
      const h = await run.health();
      expect(h.status).toBe(200);
      expect(h.body.status).toBe('degraded');
      expect(h.body.misroutedRecords).toBe(misrouted);
      expect(String((h.body.misroutedExample as { source: string }).source)).toMatch(/^cdrs\/\d\/\d+$/);
      const warnings = run.log().split('\n').filter((l) => l.includes('misrouted CDR messages'));
      expect(warnings).toHaveLength(1); // rate-limited
      expect(warnings[0]).toMatch(/"example":\{"source":"cdrs\/\d\/\d+"/);
    } finally {
      await run.stop('SIGKILL');
    }
  });
});

describe('route + run on a feed produced by kcat', () => {
  it('a backlog produced without keys before route starts gives detect findings and late rejects', async () => {
    await routeAndRun('backlog', false, 21);
  });

  it('live traffic keyed by IMEI with librdkafka consistent_random gives detect findings and late rejects', async () => {
    await routeAndRun('live', true, 22);
  });
});
