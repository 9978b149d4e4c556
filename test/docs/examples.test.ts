import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

// Issue 11 item 5: an IMEI a documented query names is one `npm run demo` finds, so the query returns rows.

const DOCS = ['README.md', 'docs/clickhouse.md'];

function demoCloneImeis(): Set<string> {
  const truth = JSON.parse(readFileSync(join(ROOT, 'fixtures/demo/truth.json'), 'utf8')) as { findings: { imei: string }[] };
  return new Set(truth.findings.map((f) => f.imei));
}

describe('documented example IMEIs', () => {
  it('every IMEI key a query of the docs filters on is a clone in the demo data', () => {
    const clones = demoCloneImeis();
    const named: string[] = [];
    for (const doc of DOCS) {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      for (const m of text.matchAll(/imei\s*=\s*'(\d{14})'|example IMEI key `(\d{14})`/g)) named.push(m[1] ?? m[2]);
    }
    expect(named.length).toBeGreaterThan(0);
    for (const imei of named) expect(clones.has(imei), `${imei} is not in fixtures/demo`).toBe(true);
  });

  it('the demo CDRs carry that IMEI', () => {
    const cdrs = gunzipSync(readFileSync(join(ROOT, 'fixtures/demo/cdrs/cdrs-0000.csv.gz'))).toString('utf8');
    expect(cdrs).toContain(',35209900000066');
  });
});
