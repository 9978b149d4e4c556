import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, readNdjson, runCli, tempDir } from '../helpers/cli.js';
import { ClickHouseServer, clickhouseServerSkipReason, freePort } from '../helpers/clickhouse-server.js';

// Issue 10 item 6: two detects on one chDB directory at the same instant, and a server that is not up yet.

const FIXTURE = join(ROOT, 'fixtures', 'both-rules');
const tmp = tempDir('clonewatch-ch-start-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const detect = (target: string, out: string, extra: string[] = [], onStderr?: (text: string) => void) =>
  runCli(['detect', '--cdrs', join(FIXTURE, 'cdrs'), '--cells', join(FIXTURE, 'cells.csv'), '--out', out, '--clickhouse', target, ...extra], {
    timeoutMs: 90_000,
    onStderr,
  });

describe('two detects on one chDB directory at the same instant', () => {
  it('one runs; the other stops with one line saying the directory is in use', async () => {
    const store = join(tmp, 'store');
    const results = await Promise.all([detect(store, join(tmp, 'o1')), detect(store, join(tmp, 'o2'))]);
    const ok = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code !== 0);
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    for (const r of refused) {
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/is in use by another clonewatch process .*chDB allows one process per directory/);
    }
  }, 120_000);

  it('a lock left by a killed process does not keep the directory busy', async () => {
    const store = join(tmp, 'store');
    // A PID that is not running (pid_max is far below this).
    writeFileSync(join(store, 'clonewatch.lock'), '99999999\n');
    const r = await detect(store, join(tmp, 'o3'));
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);
});

describe.skipIf(clickhouseServerSkipReason() !== null)('a ClickHouse server that is unreachable when detect starts', () => {
  it('is retried for clickhouse.retryForMs, then detect fails with one line', async () => {
    const port = await freePort();
    const cfg = join(tmp, 'short-retry.json');
    writeFileSync(cfg, JSON.stringify({ clickhouse: { retryForMs: 1500 } }));
    const t0 = Date.now();
    const r = await detect(`http://127.0.0.1:${port}`, join(tmp, 'o4'), ['--config', cfg]);
    expect(r.code).not.toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    const lines = r.stderr.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/unreachable for [\d.]+ s \(ECONNREFUSED\); gave up after clickhouse\.retryForMs = 1500 ms/);
    expect(lines.length).toBeLessThanOrEqual(2);
  });

  it('a server that comes up while detect waits gets every finding', async () => {
    const srv = await ClickHouseServer.create();
    try {
      await srv.stop();
      const out = join(tmp, 'o5');
      // Start the server only once detect has said it is waiting for it (a fixed sleep raced a slow start).
      let sawRetry!: () => void;
      const retrying = new Promise<void>((r) => (sawRetry = r));
      const running = detect(srv.url, out, [], (text) => {
        if (/retrying for up to/.test(text)) sawRetry();
      });
      await Promise.race([retrying, running]);
      await srv.start();
      const r = await running;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/unreachable \(ECONNREFUSED\): retrying for up to 600 s/);
      const clones = readNdjson(join(out, 'clones.ndjson'));
      expect(clones.length).toBeGreaterThan(0);
      expect(Number((await srv.query('SELECT count() FROM clonewatch.suspected_clones FINAL')).trim())).toBe(clones.length);
    } finally {
      await srv.destroy();
    }
  }, 120_000);
});
