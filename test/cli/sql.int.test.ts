import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { clickhouseServerSkipReason, useClickHouseServer } from '../helpers/clickhouse-server.js';

// `clonewatch sql` without --write is read-only in effect (issue 10 item 1) and the configured database is
// the session's default (issue 11 item 5), on chDB and on a 18.16 server.

const FIXTURE = join(ROOT, 'fixtures', 'both-rules');

/** Every file under `dir` with its content hash: what "the file system is unchanged" compares. */
function snapshot(dir: string, skip: (name: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (skip(name)) continue;
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.set(p, createHash('sha1').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** The attempts: each would change a table, a persistent setting or a file if it ran. */
function attempts(victim: string, store: string | null): string[] {
  const meta = store === null ? victim : join(store, 'metadata', 'clonewatch', 'suspected_clones.sql');
  return [
    `SELECT 'x' INTO OUTFILE '${victim}' TRUNCATE FORMAT TSVRaw`,
    `SELECT 'x' INTO OUTFILE '${meta}' TRUNCATE FORMAT TSVRaw`,
    `SELECT 'x' INTO/* a */OUTFILE '${victim}' TRUNCATE`,
    `SELECT 'x' INTO -- line\n OUTFILE '${victim}' TRUNCATE`,
    `(SELECT $$x$$) INTO OUTFILE '${victim}' TRUNCATE`,
    `WITH 1 AS y SELECT y INTO OUTFILE '${victim}' TRUNCATE`,
    `SHOW TABLES INTO OUTFILE '${victim}' TRUNCATE`,
    `EXPLAIN SELECT 1 INTO OUTFILE '${victim}' TRUNCATE`,
    `/* /* */ SELECT */ TRUNCATE TABLE suspected_clones`,
    `/* SELECT */ DROP TABLE suspected_clones`,
    `SELECT 1; DROP TABLE suspected_clones`,
    `SELECT 1 /* ; */; TRUNCATE TABLE suspected_clones`,
    `ALTER TABLE suspected_clones DELETE WHERE 1`,
    `INSERT INTO suspected_clones SELECT * FROM suspected_clones`,
    `INSERT INTO FUNCTION file('${victim}', 'TSVRaw', 'a String') VALUES ('x')`,
    `SELECT * FROM file('${victim}', 'TSVRaw', 'a String')`,
    `SELECT * FROM url('http://127.0.0.1:9/x', 'TSV', 'a String')`,
    `SELECT * FROM s3('http://127.0.0.1:9/b/k', 'TSV', 'a String')`,
    `SYSTEM STOP MERGES`,
    `SYSTEM DROP DNS CACHE`,
    `ATTACH TABLE x (a UInt8) ENGINE = Memory`,
    `DETACH TABLE suspected_clones`,
    `RENAME TABLE suspected_clones TO gone`,
    `CREATE TABLE x (a UInt8) ENGINE = Memory`,
    `OPTIMIZE TABLE suspected_clones FINAL`,
    `SET readonly = 0`,
    `SELECT 1 SETTINGS readonly = 0`,
    `BACKUP TABLE suspected_clones TO File('${victim}.bak')`,
    `KILL QUERY WHERE 1`,
    `USE system`,
  ];
}

async function countClones(target: string): Promise<string> {
  const r = await runCli(['sql', 'SELECT count() AS n FROM suspected_clones FINAL', '--clickhouse', target, '--format', 'csv']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

async function expectAllRefused(target: string, victim: string, storeDir: string | null, watched: string, skip?: (n: string) => boolean) {
  const before = snapshot(watched, skip);
  const clonesBefore = await countClones(target);
  for (const q of attempts(victim, storeDir)) {
    const r = await runCli(['sql', q, '--clickhouse', target], { timeoutMs: 30_000 });
    expect(r.code, `${q}\n${r.stdout}`).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines, q).toHaveLength(1);
    expect(lines[0], q).toMatch(/^clonewatch: /);
  }
  expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  expect(snapshot(watched, skip)).toEqual(before);
  expect(await countClones(target)).toBe(clonesBefore);
}

describe('clonewatch sql on chDB', () => {
  const tmp = tempDir('clonewatch-sql-');
  const store = join(tmp, 'store');
  const victim = join(tmp, 'victim.txt');
  beforeAll(async () => {
    const r = await runCli(['detect', '--cdrs', join(FIXTURE, 'cdrs'), '--cells', join(FIXTURE, 'cells.csv'), '--out', join(tmp, 'out'), '--clickhouse', store], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    writeFileSync(victim, 'precious\n');
  }, 90_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('uses the configured database as the default: FROM suspected_clones FINAL works as typed', async () => {
    const clones = readFileSync(join(tmp, 'out', 'clones.ndjson'), 'utf8').trim().split('\n').length;
    expect(await countClones(store)).toBe(`"n"\n${clones}\n`);
  });

  it('refuses every write attempt with one line naming --write, before running anything', async () => {
    const r = await runCli(['sql', `/* /* */ SELECT */ TRUNCATE TABLE suspected_clones`, '--clickhouse', store]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^clonewatch: TRUNCATE statements need --write/);
    const o = await runCli(['sql', `SELECT 1 INTO OUTFILE '${victim}'`, '--clickhouse', store]);
    expect(o.stderr).toMatch(/INTO OUTFILE .*--write/);
  });

  it('leaves the store, its tables and the file system unchanged after the list of attempts', async () => {
    // chDB rewrites its lock file (status) and may write logs when a process opens the directory.
    await expectAllRefused(store, victim, store, tmp, (n) => n === 'status' || n.endsWith('.log') || n === 'tmp');
    expect(existsSync(victim + '.bak')).toBe(false);
  }, 180_000);

  it('still runs reads, and writes with --write', async () => {
    const r = await runCli(['sql', "SELECT rule FROM suspected_clones FINAL WHERE rule = 'simultaneity' LIMIT 1 FORMAT TSV", '--clickhouse', store]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('simultaneity\n');
    const w = await runCli(['sql', 'CREATE TABLE scratch (a UInt8) ENGINE = Memory', '--clickhouse', store, '--write']);
    expect(w.code, w.stderr).toBe(0);
  });
});

describe.skipIf(clickhouseServerSkipReason() !== null)('clonewatch sql on a ClickHouse 18.16 server', () => {
  const srv = useClickHouseServer();
  const tmp = tempDir('clonewatch-sql-srv-');
  const victim = join(tmp, 'victim.txt');
  beforeAll(async () => {
    const r = await runCli(['detect', '--cdrs', join(FIXTURE, 'cdrs'), '--cells', join(FIXTURE, 'cells.csv'), '--out', join(tmp, 'out'), '--clickhouse', srv().url], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    writeFileSync(victim, 'precious\n');
  }, 90_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('uses the configured database as the default', async () => {
    const clones = readFileSync(join(tmp, 'out', 'clones.ndjson'), 'utf8').trim().split('\n').length;
    expect(await countClones(srv().url)).toBe(`"n"\n${clones}\n`);
  });

  it('leaves the tables, the server data and the file system unchanged after the list of attempts', async () => {
    const tables = await srv().query("SELECT name FROM system.tables WHERE database = 'clonewatch' ORDER BY name");
    await expectAllRefused(srv().url, victim, null, tmp);
    expect(await srv().query("SELECT name FROM system.tables WHERE database = 'clonewatch' ORDER BY name")).toBe(tables);
  }, 180_000);

  it('a read the guard lets through still runs with readonly=1 on the server', async () => {
    const r = await runCli(['sql', "SELECT value FROM system.settings WHERE name = 'readonly'", '--clickhouse', srv().url, '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('"value"\n"1"\n');
  });
});
