import { describe, expect, it } from 'vitest';
import { clickhouseSchema } from '../../src/config/schema.js';
import type { ClickHouseSink } from '../../src/sinks/clickhouse/clickhouse-sink.js';
import { openStore } from '../../src/sinks/clickhouse/connect.js';
import { openClickHouseSink } from '../../src/sinks/clickhouse/index.js';
import { countRows, readFindings } from '../../src/sinks/clickhouse/read-back.js';
import { clickhouseServerSkipReason, TEST_USER, useClickHouseServer } from '../helpers/clickhouse-server.js';
import { storeContract } from './clickhouse-contract.js';
import { sampleFindings, sampleRun } from './clickhouse-data.js';

// Debian's clickhouse-server 18.16: the oldest ClickHouse the schema must work on.
const skip = clickhouseServerSkipReason();
if (skip) console.warn(`skipping ClickHouse server tests: ${skip}`);

describe.skipIf(skip !== null)('ClickHouse sink on a Debian clickhouse-server', () => {
  const srv = useClickHouseServer();
  const server = {
    get url() {
      return srv().url;
    },
    get httpPort() {
      return srv().httpPort;
    },
    stop: () => srv().stop(),
    kill: () => srv().kill(),
    start: () => srv().start(),
    query: (sql: string) => srv().query(sql),
  };

  storeContract(() => server.url);

  it('takes user, password and database from the URL and never prints the password', async () => {
    const pw = encodeURIComponent(TEST_USER.password);
    const cfg = clickhouseSchema.parse({ target: `http://${TEST_USER.name}:${pw}@127.0.0.1:${server.httpPort}/cw_url`, password: 'not-this-one' });
    const log: string[] = [];
    const sink = await openClickHouseSink(cfg, { runId: 'url', log: (l) => log.push(l) });
    await sink.write({ findings: sampleFindings(10), candidates: [], rejects: [] });
    await sink.close();
    const lines = [...sink.describe!(), ...log].join('\n');
    expect(lines).toContain(`server http://127.0.0.1:${server.httpPort} (user ${TEST_USER.name}), database cw_url (10 findings`);
    expect(lines).not.toContain(TEST_USER.password);
    expect(lines).not.toContain(pw);
    expect(await server.query(`SELECT count() FROM cw_url.suspected_clones`)).toBe('10\n');
  });

  it('takes user and password from CLICKHOUSE_USER / CLICKHOUSE_PASSWORD, and says so when they are wrong', async () => {
    const saved = { ...process.env };
    try {
      process.env.CLICKHOUSE_USER = TEST_USER.name;
      process.env.CLICKHOUSE_PASSWORD = TEST_USER.password;
      process.env.CLICKHOUSE_DATABASE = 'cw_env';
      const sink = await openClickHouseSink(clickhouseSchema.parse({ target: server.url }), { runId: 'env' });
      expect(sink.describe!()[0]).toContain(`(user ${TEST_USER.name}), database cw_env`);
      await sink.close();
      process.env.CLICKHOUSE_PASSWORD = 'wrong';
      const err = await openClickHouseSink(clickhouseSchema.parse({ target: server.url }), { runId: 'env' }).then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(/^cannot open ClickHouse: cannot prepare ClickHouse \(server http:\/\/127\.0\.0\.1:\d+ \(user analyst\), database cw_env\): .*(password|Authentication)/);
      expect(err?.message).not.toContain('wrong');
    } finally {
      process.env = saved;
    }
  });

  it.each([
    ['stopping (SIGTERM)', 'cw_fault_term', () => server.stop()],
    ['crashing (SIGKILL)', 'cw_fault_kill', () => server.kill()],
  ])('survives the server %s mid-run: every finding exactly once after FINAL, and the outage reported', async (_how, database, down) => {
    const cfg = clickhouseSchema.parse({ target: server.url, database, batchRows: 300, flushIntervalMs: 100 });
    const log: string[] = [];
    const sink = (await openClickHouseSink(cfg, { runId: 'fault', log: (l) => log.push(l) })) as ClickHouseSink;
    const findings = sampleFindings(6000, { days: 5, seed: 42 });
    const chunk = 300;
    let restarted: Promise<void> | null = null;
    for (let i = 0; i < findings.length; i += chunk) {
      if (i === 1800) {
        await down();
        // Down for about 2 s while the run keeps writing; the sink must keep the rows and retry.
        restarted = new Promise((r) => setTimeout(r, 2000)).then(() => server.start());
      }
      await sink.write({ findings: findings.slice(i, i + chunk), candidates: [], rejects: [] });
    }
    await sink.flush();
    await restarted;
    await sink.recordRun!(sampleRun('fault'));
    const described = sink.describe!();
    await sink.close();

    expect(sink.outageReport().length).toBeGreaterThanOrEqual(1);
    expect(sink.outageReport()[0].endMs).not.toBeNull();
    expect(described.join('\n')).toMatch(/ClickHouse outage: unreachable for [\d.]+ s .*none lost/);
    expect(log.join('\n')).toMatch(/ClickHouse unreachable \((ECONNREFUSED|ECONNRESET|socket hang up)[^)]*\)/);
    expect(log.join('\n')).toMatch(/ClickHouse reachable again after/);

    const store = await openStore(cfg);
    try {
      expect(await countRows(store, 'suspected_clones', true)).toBe(findings.length);
      const ids = (await readFindings(store)).map((f) => f.finding_id);
      expect(new Set(ids).size).toBe(findings.length);
      expect(ids).toEqual(findings.map((f) => f.finding_id).sort());
      const runs = await store.client.query({ query: `SELECT notes, clickhouse_outage_s FROM ${database}.pipeline_runs FINAL`, format: 'JSONEachRow' });
      const [run] = (await runs.json()) as { notes: string[]; clickhouse_outage_s: number }[];
      expect(run.notes.join('\n')).toMatch(/ClickHouse outage/);
      expect(run.clickhouse_outage_s).toBeGreaterThan(1);
    } finally {
      await store.close();
    }
  });
});
