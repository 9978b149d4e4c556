// `detect --threads N` shards IMEI keys over worker threads: its three output files must be the same,
// line for line, as one thread's (detected_at / emitted_at aside).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_CELLS, OUTPUT_FILES, ROOT, runCli, tempDir } from '../helpers/cli.js';

const volatile = (text: string) => text.replace(/"(detected_at|emitted_at)":"[^"]*"/g, '"$1":""');

function caseArgs(dir: string): string[] {
  const args = ['--cdrs', join(dir, 'cdrs')];
  const cells = ['cells.csv', 'cells.csv.gz'].map((c) => join(dir, c)).find((p) => existsSync(p));
  args.push('--cells', cells ?? BUNDLED_CELLS);
  if (existsSync(join(dir, 'exceptions.csv'))) args.push('--exceptions', join(dir, 'exceptions.csv'));
  if (existsSync(join(dir, 'config.json'))) args.push('--config', join(dir, 'config.json'));
  return args;
}

const cases = readdirSync(join(ROOT, 'fixtures'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'fixtures', d.name, 'cdrs')))
  .map((d) => d.name)
  .sort();

describe('detect --threads', () => {
  it.each(cases)('fixtures/%s: 3 threads write what 1 thread writes', async (name) => {
    const args = [...caseArgs(join(ROOT, 'fixtures', name)), '--clickhouse', 'none', '--no-progress'];
    const one = tempDir();
    const three = tempDir();
    const [a, b] = await Promise.all([runCli(['detect', ...args, '--out', one]), runCli(['detect', ...args, '--out', three, '--threads', '3'])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    for (const f of OUTPUT_FILES) {
      expect(volatile(readFileSync(join(three, f), 'utf8')), `${name}/${f}`).toBe(volatile(readFileSync(join(one, f), 'utf8')));
    }
  });

  it('rejects a thread count that is not a whole number from 1 to 64', async () => {
    const r = await runCli(['detect', ...caseArgs(join(ROOT, 'fixtures', 'simultaneity')), '--out', tempDir(), '--clickhouse', 'none', '--threads', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/--threads needs a whole number from 1 to 64/);
  });
});
