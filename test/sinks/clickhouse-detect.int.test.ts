import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clickhouseSchema } from '../../src/config/schema.js';
import type { BlockCandidate, Finding, Reject } from '../../src/domain/types.js';
import { openStore } from '../../src/sinks/clickhouse/connect.js';
import { readCandidates, readFindings, readRejects, selectRows } from '../../src/sinks/clickhouse/read-back.js';
import { readNdjson, ROOT, runCli, tempDir } from '../helpers/cli.js';
import { clickhouseServerSkipReason, useClickHouseServer } from '../helpers/clickhouse-server.js';

// `clonewatch detect` leaves in ClickHouse exactly what it writes to the NDJSON files (issue 4, "Done when").

const FIXTURES = ['demo', 'both-rules', 'exceptions', 'rejects'];

function detectArgs(name: string, out: string): string[] {
  const dir = join(ROOT, 'fixtures', name);
  const cells = existsSync(join(dir, 'cells.csv')) ? join(dir, 'cells.csv') : join(dir, 'cells.csv.gz');
  const args = ['detect', '--cdrs', join(dir, 'cdrs'), '--cells', cells, '--out', out];
  if (existsSync(join(dir, 'exceptions.csv'))) args.push('--exceptions', join(dir, 'exceptions.csv'));
  return args;
}

const json = (x: unknown) => JSON.stringify(x, Object.keys(x as object).sort());
const sortedIds = (fs: Finding[]) => fs.map((f) => f.finding_id).sort();

/** Run detect into `target` and compare the store with the files, field by field. */
async function detectMatchesFiles(name: string, target: string, database: string, tmp: string): Promise<void> {
  const out = join(tmp, `out-${name}`);
  const r = await runCli([...detectArgs(name, out), '--clickhouse', target], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/findings in ClickHouse: .* — try: npx clonewatch sql/);
  const clones = readNdjson(join(out, 'clones.ndjson')) as Finding[];
  const candidates = readNdjson(join(out, 'block-candidates.ndjson')) as BlockCandidate[];
  const rejects = readNdjson(join(out, 'rejects.ndjson')) as Reject[];
  expect(clones.length + rejects.length).toBeGreaterThan(0);
  const store = await openStore(clickhouseSchema.parse({ target: target.replace(/\/[a-z_0-9]+$/, ''), database }));
  try {
    const stored = await readFindings(store);
    expect(sortedIds(stored)).toEqual(sortedIds(clones));
    const byId = new Map(stored.map((f) => [f.finding_id, f]));
    for (const f of clones) expect(byId.get(f.finding_id)).toEqual(f);
    expect((await readCandidates(store)).map(json).sort()).toEqual(candidates.map(json).sort());
    expect((await readRejects(store)).map(json).sort()).toEqual(rejects.map(json).sort());
    const runs = await selectRows(store, `SELECT records_read, findings_simultaneity, findings_time_distance, candidates FROM ${database}.pipeline_runs FINAL`);
    expect(runs).toHaveLength(1);
    expect(Number(runs[0].findings_simultaneity) + Number(runs[0].findings_time_distance)).toBe(clones.length);
    expect(Number(runs[0].candidates)).toBe(candidates.length);
  } finally {
    await store.close();
  }
}

describe('detect → ClickHouse equals the NDJSON files', () => {
  const tmp = tempDir('clonewatch-ch-detect-');
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  describe('embedded chDB', () => {
    for (const name of FIXTURES) {
      it(`fixtures/${name}`, async () => {
        await detectMatchesFiles(name, join(tmp, `chdb-${name}`), 'clonewatch', tmp);
      });
    }
  });

  const skip = clickhouseServerSkipReason();
  describe.skipIf(skip !== null)('Debian clickhouse-server', () => {
    const server = useClickHouseServer();
    for (const name of FIXTURES) {
      it(`fixtures/${name}`, async () => {
        const db = `cw_detect_${name.replace(/-/g, '_')}`;
        await detectMatchesFiles(name, `${server().url}/${db}`, db, tmp);
      });
    }
  });
});
