// Operations of `clonewatch run`: live reload of the exception list (file change and SIGHUP, a broken file
// keeps the old list), /metrics and /healthz, JSON-lines logs, graceful and bounded shutdown.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BlockCandidate, Finding } from '../../src/domain/types.js';
import { readNdjson } from '../helpers/cli.js';
import { ClickHouseServer, clickhouseServerSkipReason } from '../helpers/clickhouse-server.js';
import { startMockKafka, type MockBroker } from '../helpers/kafka-broker.js';
import { buildOnce, killAll, offsets, SMALL_CELLS, startRun, tempDir, TOPICS, waitFor } from './support.js';

const brokers: MockBroker[] = [];
async function broker(): Promise<MockBroker> {
  const b = await startMockKafka(TOPICS);
  brokers.push(b);
  return b;
}

let n = 0;
/** Two overlapping calls of two IMSIs on one IMEI: one simultaneity finding. */
function clonePair(imei: string, imsiA: string, imsiB: string, hour: number): Array<{ key: string; value: string }> {
  const cdr = (imsi: string, min: number) => ({
    key: imei,
    value: JSON.stringify({ record_id: `op-${++n}`, event_type: 'voice_mo', imei, imsi, msisdn: '', start_time: `2026-03-02T${String(hour).padStart(2, '0')}:${String(min).padStart(2, '0')}:00Z`, duration_s: 600, radio: 'LTE', mcc: 716, mnc: 6, lac: 1001, ci: 100 }),
  });
  return [cdr(imsiA, 0), cdr(imsiB, 1)];
}

async function produce(b: MockBroker, messages: Array<{ key: string; value: string }>): Promise<void> {
  const p = new Kafka({ brokers: b.brokers, clientId: 'test', logLevel: logLevel.NOTHING }).producer();
  await p.connect();
  await p.send({ topic: 'cdrs', acks: -1, messages });
  await p.disconnect();
}

beforeAll(() => buildOnce());
afterEach(() => killAll());
afterAll(async () => {
  killAll();
  await Promise.all(brokers.map((b) => b.stop()));
});

describe('run operations', () => {
  it('reloads the exception list on change and on SIGHUP; a broken file keeps the previous list', async () => {
    const b = await broker();
    const dir = tempDir();
    const out = tempDir();
    const ex = join(dir, 'exceptions.csv');
    writeFileSync(ex, 'imei,imsi,msisdn\n');
    const run = await startRun(b.brokers, ['--group-id', `reload-${Date.now()}`, '--clickhouse', 'none', '--out', out, '--cells', SMALL_CELLS, '--exceptions', ex, '--reload-poll-ms', '200']);
    const reloads = async (result: string) => (await run.metrics())[`clonewatch_reference_reloads_total{kind="exceptions",result="${result}"}`] ?? 0;
    const findings = () => readNdjson<Finding>(join(out, 'clones.ndjson'));
    const candidates = () => readNdjson<BlockCandidate>(join(out, 'block-candidates.ndjson'));

    await produce(b, clonePair('35111111111111', '716060000000001', '716060000000002', 1));
    await waitFor('first finding', () => findings().length === 1, 20000);
    await waitFor('first candidate', () => candidates().length === 1);

    // New list: IMEIs 2 and 3 with both their IMSIs.
    writeFileSync(ex, 'imei,imsi,msisdn\n35222222222222,716060000000003,\n35222222222222,716060000000004,\n35333333333333,716060000000005,\n35333333333333,716060000000006,\n');
    await waitFor('reload on change', async () => (await reloads('ok')) >= 1, 10000);
    await produce(b, clonePair('35222222222222', '716060000000003', '716060000000004', 2));
    await waitFor('second finding', () => findings().length === 2, 20000);
    expect(findings()[1].exempt_imsis.sort()).toEqual(['716060000000003', '716060000000004']);

    // A broken file: refused, the log says why, the previous list stays in force.
    writeFileSync(ex, '\u0000\u0001garbage without a header\n');
    await waitFor('broken file refused', async () => (await reloads('kept_previous')) >= 1, 10000);
    expect(run.log()).toMatch(/"level":"error","msg":"cannot reload the exception list; keeping the previous data \(4 exception entries\)"/);
    await produce(b, clonePair('35333333333333', '716060000000005', '716060000000006', 3));
    await waitFor('third finding', () => findings().length === 3, 20000);
    expect(findings()[2].exempt_imsis.sort()).toEqual(['716060000000005', '716060000000006']);

    // SIGHUP reloads even without a change (here: a good file again).
    writeFileSync(ex, 'imei,imsi,msisdn\n35444444444444,716060000000007,\n');
    const before = await reloads('ok');
    run.proc.kill('SIGHUP');
    await waitFor('reload on SIGHUP', async () => (await reloads('ok')) >= before + 1, 10000);
    expect((await run.health()).status).toBe(200);
    expect((await run.stop()).code).toBe(0);
    // All-exempt pairs give findings but no candidate.
    expect(candidates()).toHaveLength(1);
    // Every log line is one JSON object with ts, level and msg.
    for (const line of run.log().trim().split('\n')) {
      const o = JSON.parse(line) as Record<string, unknown>;
      expect(typeof o.ts).toBe('string');
      expect(['debug', 'info', 'warn', 'error']).toContain(o.level);
      expect(typeof o.msg).toBe('string');
    }
  });

  it('serves Prometheus metrics: records, rejects, findings, candidates, lag, latency histograms, state', async () => {
    const b = await broker();
    const run = await startRun(b.brokers, ['--group-id', `metrics-${Date.now()}`, '--clickhouse', 'none', '--cells', SMALL_CELLS]);
    await produce(b, [...clonePair('35555555555555', '716060000000011', '716060000000012', 4), { key: 'x', value: 'not json' }]);
    await waitFor('records in', async () => (await run.metrics()).clonewatch_records_in_total === 3, 20000);
    const text = await (await fetch(`http://127.0.0.1:${run.port}/metrics`)).text();
    for (const name of [
      'clonewatch_records_in_total 3',
      'clonewatch_rejects_total{reason="malformed_row"} 1',
      'clonewatch_findings_total{rule="simultaneity"} 1',
      'clonewatch_block_candidates_total 1',
      'clonewatch_consumer_lag{partition=',
      'clonewatch_batch_seconds_bucket{le="0.1"}',
      'clonewatch_finding_latency_seconds_count',
      'clonewatch_active_imeis',
      'clonewatch_state_bytes',
      '# TYPE clonewatch_batch_seconds histogram',
    ])
      expect(text).toContain(name);
    expect((await fetch(`http://127.0.0.1:${run.port}/nothing`)).status).toBe(404);
    expect((await run.stop('SIGINT')).code).toBe(0);
  });
});

describe('run restart with --state-dir', () => {
  it('restores suppression and candidate state from the snapshot: a pair found before the re-read window is not found again', async () => {
    const b = await broker();
    const group = `snap-${Date.now()}`;
    const stateDir = tempDir();
    const outA = tempDir();
    const outB = tempDir();
    // A short window (1 h + 1 min lateness) so three hours of event time push the first pair out of the re-read.
    const cfg = join(tempDir(), 'c.json');
    writeFileSync(cfg, JSON.stringify({ windowS: 3600, allowedLatenessS: 60, stream: { snapshotIntervalMs: 100 } }));
    const args = ['--config', cfg, '--group-id', group, '--clickhouse', 'none', '--cells', SMALL_CELLS, '--state-dir', stateDir];
    const key = '35777777777777';
    // Every message shares one key, so one partition; filler CDRs of other IMEIs move event time on.
    const filler = (hour: number, min: number) => ({
      key,
      value: JSON.stringify({ record_id: `fill-${++n}`, event_type: 'sms_mo', imei: `3588888888${String(n).padStart(4, '0')}`, imsi: '716069999999999', msisdn: '', start_time: `2026-03-02T${String(hour).padStart(2, '0')}:${String(min).padStart(2, '0')}:00Z`, duration_s: 0, radio: 'LTE', mcc: 716, mnc: 6, lac: 1001, ci: 100 }),
    });
    const a = await startRun(b.brokers, [...args, '--out', outA]);
    await produce(b, clonePair(key, '716060000000031', '716060000000032', 1));
    await waitFor('first finding', () => readNdjson(join(outA, 'clones.ndjson')).length === 1, 20000);
    for (const hour of [2, 3, 4, 5]) {
      await produce(b, [filler(hour, 0), filler(hour, 30)]);
      await waitFor(`filler of ${hour}:00 consumed`, async () => (await a.metrics()).clonewatch_records_in_total >= 2 + (hour - 1) * 2, 20000);
    }
    expect((await a.stop()).code).toBe(0);
    expect(readNdjson(join(outA, 'block-candidates.ndjson'))).toHaveLength(1);

    // Same IMSIs again, 4.5 h later: within suppressionS (24 h), so detect would not report it again.
    await produce(b, clonePair(key, '716060000000031', '716060000000032', 5).map((m) => ({ ...m, value: m.value.replace(/T05:0(\d):00Z/, 'T05:4$1:00Z') })));
    const restarted = await startRun(b.brokers, [...args, '--out', outB]);
    await waitFor('second pair consumed', async () => (await restarted.metrics()).clonewatch_records_in_total >= 2, 20000);
    await waitFor('drained', async () => (await restarted.metrics()).clonewatch_buffered_records === 0);
    await new Promise((r) => setTimeout(r, 700));
    const m = await restarted.metrics();
    expect((await restarted.stop()).code).toBe(0);
    // The re-read started after the first pair (it was outside the window), so only the snapshot knew it.
    const rebuilt = /"msg":"rebuilding partition state".*?"from":(\d+)/.exec(restarted.log());
    expect(rebuilt && Number(rebuilt[1])).toBeGreaterThan(1);
    expect(m['clonewatch_findings_total{rule="simultaneity"}'] ?? 0).toBe(0);
    expect(restarted.log()).toContain('suppression and candidate state restored from snapshot');
    expect(readNdjson(join(outB, 'clones.ndjson'))).toHaveLength(0);
    expect(readNdjson(join(outB, 'block-candidates.ndjson'))).toHaveLength(0);
  });
});

const skip = clickhouseServerSkipReason();
describe.skipIf(skip !== null)('run with clickhouse-server: findings at once, shutdown with a stuck sink', () => {
  let ch: ClickHouseServer;
  beforeAll(async () => {
    ch = await ClickHouseServer.create();
  });
  afterAll(async () => {
    await ch?.destroy();
  });

  it('a finding reaches ClickHouse at once, not at the next flush interval or commit', async () => {
    const b = await broker();
    const cfg = join(tempDir(), 'c.json');
    writeFileSync(cfg, JSON.stringify({ clickhouse: { flushIntervalMs: 120000 } }));
    const run = await startRun(b.brokers, ['--config', cfg, '--commit-interval-ms', '120000', '--group-id', `eager-${Date.now()}`, '--clickhouse', `${ch.url}/eager`, '--cells', SMALL_CELLS]);
    await waitFor('partitions', async () => ((await run.health()).body.partitions as number[]).length === 4, 20000);
    await produce(b, clonePair('35777777777777', '716060000000031', '716060000000032', 6));
    const count = async () => Number((await ch.query("SELECT count() FROM eager.suspected_clones WHERE imei = '35777777777777'")).trim());
    await waitFor('finding in ClickHouse', async () => (await count()) === 1, 15000);
    await run.stop('SIGTERM');
  });

  it('findings read from a backlog reach ClickHouse at once when the partitions reach the head of their logs', async () => {
    const b = await broker();
    // A backlog: 60 clone pairs, each after 1,000 CDRs of one-SIM phones. While it is read, findings wait for
    // the flush interval (no early flush per batch); once the partitions reach the head they are written.
    const pairs = 60;
    const p = new Kafka({ brokers: b.brokers, clientId: 'test', logLevel: logLevel.NOTHING }).producer();
    await p.connect();
    for (let i = 0; i < pairs; i++) {
      const filler = Array.from({ length: 1000 }, (_, j) => {
        const imei = `3599${String(i * 1000 + j).padStart(10, '0')}`;
        return { key: imei, value: JSON.stringify({ record_id: `fill-${i}-${j}`, event_type: 'data', imei, imsi: `7160610${String(i * 1000 + j).padStart(8, '0')}`, msisdn: '', start_time: '2026-03-02T07:00:00Z', duration_s: 60, radio: 'LTE', mcc: 716, mnc: 6, lac: 1001, ci: 100 }) };
      });
      await p.send({ topic: 'cdrs', acks: -1, messages: [...filler, ...clonePair(`3588${String(i).padStart(10, '0')}`, '716060000000041', '716060000000042', 7)] });
    }
    await p.disconnect();
    const cfg = join(tempDir(), 'c.json');
    // A fetch returns one record batch (one send) per partition: 60 batches, each with a finding.
    writeFileSync(cfg, JSON.stringify({ clickhouse: { flushIntervalMs: 120000 }, kafka: { maxBytesPerPartition: 1024 } }));
    const run = await startRun(b.brokers, ['--config', cfg, '--commit-interval-ms', '120000', '--group-id', `backlog-${Date.now()}`, '--clickhouse', `${ch.url}/backlog`, '--cells', SMALL_CELLS]);
    const count = async () => Number((await ch.query('SELECT count() FROM backlog.suspected_clones')).trim());
    // Neither the flush interval nor a commit comes within the test: the findings reach ClickHouse because
    // the partitions' last batches reached the head of their logs.
    await waitFor('every finding in ClickHouse', async () => (await count().catch(() => 0)) === pairs, 30000);
    expect((await run.metrics())['clonewatch_records_in_total']).toBe(pairs * 1002);
    await run.stop('SIGTERM');
  });

  it('SIGTERM with ClickHouse down ends within --shutdown-timeout-ms without committing; a second signal exits at once', async () => {
    const b = await broker();
    const group = `stuck-${Date.now()}`;
    const cfg = join(tempDir(), 'c.json');
    writeFileSync(cfg, JSON.stringify({ clickhouse: { flushIntervalMs: 100 } }));
    const args = ['--config', cfg, '--group-id', group, '--clickhouse', `${ch.url}/stuck`, '--cells', SMALL_CELLS];
    const run = await startRun(b.brokers, [...args, '--shutdown-timeout-ms', '2000']);
    await waitFor('partitions', async () => ((await run.health()).body.partitions as number[]).length === 4, 20000);
    await ch.stop();
    await produce(b, clonePair('35666666666666', '716060000000021', '716060000000022', 5));
    await waitFor('finding waiting for ClickHouse', async () => (await run.metrics())['clonewatch_findings_total{rule="simultaneity"}'] === 1, 20000);
    const t0 = Date.now();
    const r = await run.stop('SIGTERM');
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(run.log()).toContain('graceful shutdown timed out');
    const o = await offsets(b.brokers, group, 'cdrs');
    expect(o.committed.reduce((s, c) => s + Math.max(0, c), 0)).toBeLessThan(o.end.reduce((s, e) => s + e, 0));

    // Again with a long timeout (ClickHouse up for the start, down once it runs): a second SIGTERM ends it at once.
    await ch.start();
    const again = await startRun(b.brokers, [...args, '--shutdown-timeout-ms', '60000']);
    await ch.stop();
    await waitFor('finding again (re-read: nothing was committed)', async () => (await again.metrics())['clonewatch_findings_total{rule="simultaneity"}'] === 1, 30000);
    again.proc.kill('SIGTERM');
    await new Promise((res) => setTimeout(res, 500));
    const t1 = Date.now();
    again.proc.kill('SIGTERM');
    const r2 = await again.exited;
    expect(r2.code).toBe(130);
    expect(Date.now() - t1).toBeLessThan(2000);
    await ch.start();
  });
});
