// Replayed fixtures through Kafka give the findings and candidates `detect` gives (fixtures/*/expected are
// detect's golden outputs), and every rejected message lands in the dead-letter topic with its
// topic/partition/offset. One broker, one topic set and one `run` per case, all in parallel.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNdjson } from '../helpers/cli.js';
import { startMockKafka, type MockBroker } from '../helpers/kafka-broker.js';
import { buildOnce, killAll, readTopic, replay, ROOT, startRun, tempDir, waitConsumed, type RunProcess } from './support.js';
import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';

const CASES = ['simultaneity', 'time-distance', 'both-rules', 'three-imsis', 'exceptions', 'zero-length', 'imei-variants', 'rejects'];

// One broker per case (the mock cluster creates topics one by one, ~0.25 s each), started in parallel.
let broker: MockBroker;
const brokers = new Map<string, MockBroker>();
const topics = (_c: string) => ({ cdrs: 'cdrs', cand: 'block-candidates', rej: 'cdrs-rejects' });

function countRows(dir: string): Promise<number> {
  // Data rows of every CSV in the case (physical lines minus headers and blank lines; fixtures have no multi-line fields).
  return new Promise((resolve) => {
    const p = spawn('bash', ['-c', `for f in ${dir}/*.csv; do tail -n +2 "$f" | grep -c . ; done | paste -sd+ | bc`]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', () => resolve(Number(out.trim())));
  });
}

beforeAll(async () => {
  buildOnce();
  const started = await Promise.all([startMockKafka({ 'cdrs-extra': 2, 'rej-extra': 1, 'cand-extra': 1 }), ...CASES.map(() => startMockKafka({ cdrs: 3, 'block-candidates': 1, 'cdrs-rejects': 1 }))]);
  broker = started[0];
  CASES.forEach((c, i) => brokers.set(c, started[i + 1]));
});

afterAll(async () => {
  killAll();
  await Promise.all([broker, ...brokers.values()].map((b) => b?.stop()));
});

describe('run on replayed fixtures', () => {
  it('finds what detect finds, case by case (findings by finding_id, candidates in order per IMEI, rejects by reason)', async () => {
    const runs: Array<{ c: string; run: RunProcess; out: string; rows: number }> = [];
    try {
      await Promise.all(
        CASES.map(async (c) => {
          const dir = join(ROOT, 'fixtures', c);
          const tp = topics(c);
          const b = brokers.get(c)!.brokers;
          const r = await replay(b, join(dir, 'cdrs'), ['--topic', tp.cdrs]);
          expect(r.code, r.stderr).toBe(0);
          const out = tempDir();
          const args = ['--topic', tp.cdrs, '--candidates-topic', tp.cand, '--rejects-topic', tp.rej, '--group-id', `g-${c}-${Date.now()}`, '--clickhouse', 'none', '--out', out];
          // detect matches in event-time order; the same ordering delay makes the evidence (finding_id) identical.
          args.push('--ordering-delay-s', '600', '--cells', join(dir, 'cells.csv'));
          if (existsSync(join(dir, 'exceptions.csv'))) args.push('--exceptions', join(dir, 'exceptions.csv'));
          const run = await startRun(b, args);
          runs.push({ c, run, out, rows: await countRows(join(dir, 'cdrs')) });
        }),
      );
      await Promise.all(runs.map(({ run, rows }) => waitConsumed([run], rows, 60000)));
      for (const { run } of runs) expect((await run.stop()).code).toBe(0);
      for (const { c, out } of runs) {
        const dir = join(ROOT, 'fixtures', c);
        const want = readNdjson<{ finding_id: string }>(join(dir, 'expected/clones.ndjson')).map((f) => f.finding_id).sort();
        const got = readNdjson<{ finding_id: string }>(join(out, 'clones.ndjson')).map((f) => f.finding_id).sort();
        expect(got, `findings of ${c}`).toEqual(want);
        // Emission order holds per IMEI (one partition); across partitions it is free, so sort stably by IMEI.
        const cand = (p: string) =>
          readNdjson<{ imei: string; imsis: string[]; exempt_imsis: string[] }>(p)
            .sort((a, b) => (a.imei < b.imei ? -1 : a.imei > b.imei ? 1 : 0))
            .map((x) => `${x.imei}|${x.imsis.join(',')}|${x.exempt_imsis.join(',')}`);
        expect(cand(join(out, 'block-candidates.ndjson')), `candidates of ${c}`).toEqual(cand(join(dir, 'expected/block-candidates.ndjson')));
        // The candidates topic carries the same, keyed by IMEI key.
        const topicCands = readTopic(brokers.get(c)!.brokers, topics(c).cand);
        expect(topicCands.map((m) => JSON.parse(m.value).imei).sort()).toEqual(readNdjson<{ imei: string }>(join(dir, 'expected/block-candidates.ndjson')).map((x) => x.imei).sort());
        for (const m of topicCands) expect(m.key).toBe(JSON.parse(m.value).imei);
        // CDR rejects: the same reasons as detect, from the dead-letter topic with topic/partition/offset sources.
        const wantReasons = readNdjson<{ source: string; reason: string }>(join(dir, 'expected/rejects.ndjson'))
          .filter((r) => r.source.startsWith('cdrs/'))
          .map((r) => r.reason)
          .sort();
        const dlq = readTopic(brokers.get(c)!.brokers, topics(c).rej).map((m) => JSON.parse(m.value) as { source: string; reason: string; raw: string; line: null });
        expect(dlq.map((r) => r.reason).sort(), `rejects of ${c}`).toEqual(wantReasons);
        for (const r of dlq) {
          expect(r.source).toMatch(new RegExp(`^${topics(c).cdrs}/\\d+/\\d+$`));
          expect(r.line).toBeNull();
        }
      }
    } finally {
      for (const { run } of runs) await run.stop('SIGKILL');
    }
  });

  it('sends malformed messages to the dead-letter topic with their partition and offset, and goes on', async () => {
    const kafka = new Kafka({ brokers: broker.brokers, clientId: 'test', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const good = (id: string, imsi: string) =>
      JSON.stringify({ record_id: id, event_type: 'voice_mo', imei: '35000011111111', imsi, msisdn: '', start_time: '2026-03-02T10:00:00Z', duration_s: 600, radio: 'LTE', mcc: 716, mnc: 6, lac: 1001, ci: 100 });
    const bad = [
      { value: 'not json at all', reason: 'malformed_row' },
      { value: '', reason: 'malformed_row' },
      { value: '[1,2,3]', reason: 'malformed_row' },
      { value: '{"record_id":"x1","event_type":"voice_mo"}', reason: 'missing_field' },
      { value: good('x2', '71606').replace('"imsi":"71606"', '"imsi":"71606"'), reason: 'invalid_imsi' },
      { value: good('x3', '716060000000001').replace('35000011111111', '3500001111111X'), reason: 'invalid_imei' },
    ];
    await producer.send({
      topic: 'cdrs-extra',
      acks: -1,
      messages: [
        { key: '35000011111111', value: good('ok1', '716060000000001') },
        ...bad.map((b) => ({ key: '35000011111111', value: b.value })),
        { key: '35000011111111', value: good('ok2', '716060000000002') },
        { key: '35000011111111', value: good('ok1', '716060000000001') }, // duplicate delivery
      ],
    });
    await producer.disconnect();
    const out = tempDir();
    const run = await startRun(broker.brokers, ['--topic', 'cdrs-extra', '--candidates-topic', 'cand-extra', '--rejects-topic', 'rej-extra', '--group-id', `g-extra-${Date.now()}`, '--clickhouse', 'none', '--out', out, '--cells', join(ROOT, 'fixtures/both-rules/cells.csv')]);
    try {
      await waitConsumed([run], 9);
      const m = await run.metrics();
      expect(m['clonewatch_rejects_total{reason="malformed_row"}']).toBe(3);
      expect(m['clonewatch_findings_total{rule="simultaneity"}']).toBe(1);
      expect((await run.stop()).code).toBe(0);
      const dlq = readTopic(broker.brokers, 'rej-extra').map((x) => JSON.parse(x.value) as { source: string; reason: string; raw: string });
      expect(dlq.map((r) => r.reason)).toEqual([...bad.map((b) => b.reason), 'duplicate_record']);
      const offsets = dlq.map((r) => Number(r.source.split('/')[2]));
      expect(offsets).toEqual([1, 2, 3, 4, 5, 6, 8]);
      expect(dlq[0].raw).toBe('not json at all');
      // The ndjson sink has the same rejects, and the valid pair gave its finding.
      expect(readNdjson(join(out, 'rejects.ndjson'))).toHaveLength(7);
      expect(readNdjson(join(out, 'clones.ndjson'))).toHaveLength(1);
    } finally {
      await run.stop('SIGKILL');
    }
  });
});
