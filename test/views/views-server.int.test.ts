import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BlockCandidate, Finding, Reject } from '../../src/domain/types.js';
import { readNdjson, ROOT, runCli, tempDir } from '../helpers/cli.js';
import { clickhouseServerSkipReason, useClickHouseServer } from '../helpers/clickhouse-server.js';

// explain and report read a ClickHouse 18.16 server (Debian's) as they read chDB: same numbers as the NDJSON
// files. The browser checks are in views-browser.int.test.ts; here the pages are read as text.

const DEMO_IMEI = '86891203000036';

function countBy<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

/** `key=n` of every chart element with class `cls` (data-key / data-n attributes), sorted. */
function chart(html: string, cls: string): string[] {
  return [...html.matchAll(new RegExp(`<g class="${cls}" data-key="([^"]*)" data-n="(\\d+)"`, 'g'))].map((m) => `${m[1]}=${m[2]}`).sort();
}

describe.skipIf(clickhouseServerSkipReason() !== null)('explain and report on a ClickHouse 18.16 server', () => {
  const server = useClickHouseServer();
  const tmp = tempDir('clonewatch-views-server-');
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('demo: report and explain equal the NDJSON files', async () => {
    const url = `${server().url}/cw_views`;
    const out = join(tmp, 'detect');
    const d = await runCli(
      ['detect', '--cdrs', join(ROOT, 'fixtures/demo/cdrs'), '--cells', join(ROOT, 'fixtures/demo/cells.csv.gz'),
        '--exceptions', join(ROOT, 'fixtures/demo/exceptions.csv'), '--out', out, '--clickhouse', url],
      { timeoutMs: 90_000 },
    );
    expect(d.code, d.stderr).toBe(0);
    const findings = readNdjson<Finding>(join(out, 'clones.ndjson'));
    const candidates = readNdjson<BlockCandidate>(join(out, 'block-candidates.ndjson'));
    const rejects = readNdjson<Reject>(join(out, 'rejects.ndjson'));
    const latest = new Map(candidates.map((c) => [c.imei, c]));

    const r = await runCli(['report', '--clickhouse', url, '--out', join(tmp, 'report')], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(tmp, 'report/report.html'), 'utf8');
    expect(chart(html, 'day-bar')).toEqual(Object.entries(countBy(findings, (f) => f.time_a.slice(0, 10))).map(([k, n]) => `${k}=${n}`).sort());
    expect(chart(html, 'reject-bar')).toEqual(Object.entries(countBy(rejects, (x) => x.reason)).map(([k, n]) => `${k}=${n}`).sort());
    expect(chart(html, 'cand-bar')).toEqual(Object.entries(countBy([...latest.values()], (c) => c.first_evidence_at.slice(0, 10))).map(([k, n]) => `${k}=${n}`).sort());
    const csv = readFileSync(join(tmp, 'report/candidates.csv'), 'utf8').split('\r\n').filter((l) => l !== '').slice(1);
    expect(csv.map((l) => l.split(',')[0]).sort()).toEqual([...latest.keys()].sort());

    const page = join(tmp, 'explain.html');
    const e = await runCli(['explain', DEMO_IMEI, '--clickhouse', url, '--cells', join(ROOT, 'fixtures/demo/cells.csv.gz'), '--out', page], { timeoutMs: 60_000 });
    expect(e.code, e.stderr).toBe(0);
    const ex = readFileSync(page, 'utf8');
    const ids = [...ex.matchAll(/<tr class="finding" data-finding-id="([0-9a-f]+)"/g)].map((m) => m[1]).sort();
    expect(ids).toEqual(findings.filter((f) => f.imei === DEMO_IMEI).map((f) => f.finding_id).sort());
    for (const imsi of latest.get(DEMO_IMEI)!.imsis) expect(ex).toContain(`<span class="tag block">${imsi}</span>`);

    const none = await runCli(['explain', '35000000000001', '--clickhouse', url], { timeoutMs: 60_000 });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no findings for IMEI key 35000000000001 in server http:\/\/127\.0\.0\.1:\d+/);
  });
});
