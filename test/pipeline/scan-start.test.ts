// Pass 1 started by cli/main.ts from `detect`'s arguments (pipeline/scan-start.ts): only when the arguments say
// how the run will read; adopted by a run with the same inputs and settings, stopped otherwise; and the outputs
// of a run that adopted it are those of one plain thread. Runs the built modules (worker threads load dist/).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUT_FILES, ROOT, assertBuilt, runCli, tempDir, volatile } from '../helpers/cli.js';

const mod = async () => import(join(ROOT, 'dist', 'pipeline', 'scan-start.js'));
const pool = async () => import(join(ROOT, 'dist', 'pipeline', 'parse-pool.js'));
const files = async () => import(join(ROOT, 'dist', 'input', 'cdr-files.js'));

const HEADER = 'record_id,event_type,imei,imsi,msisdn,start_time,duration_s,radio,mcc,mnc,lac,ci';
const CELLS = 'radio,mcc,net,area,cell,lon,lat,range\nLTE,716,10,100,1,-77.03,-12.05,500\nLTE,716,10,200,3,-71.54,-16.4,500\n';

/** Times without a zone (read in --timezone), two IMSIs on two IMEIs, at two cities: both rules fire. */
function day(dir: string): void {
  mkdirSync(join(dir, 'cdrs'), { recursive: true });
  writeFileSync(join(dir, 'cells.csv'), CELLS);
  const rows = [HEADER];
  for (let i = 0; i < 400; i++) {
    const dev = i % 20;
    const imsi = `7161000000${String(dev * 10 + (dev < 2 && i % 3 === 0 ? 1 : 0)).padStart(5, '0')}`;
    const imei = `35693803560${String(dev).padStart(3, '0')}${i % 10}`;
    const t = new Date(Date.UTC(2026, 2, 1, 8, 0, 0) + i * 37_000).toISOString().slice(0, 19);
    const far = Math.floor(i / 20) % 2 === 1;
    rows.push(`r${i},voice_mo,${imei},${imsi},,${t},120,LTE,716,10,${far ? 200 : 100},${far ? 3 : 1}`);
  }
  writeFileSync(join(dir, 'cdrs', 'a.csv'), rows.slice(0, 200).join('\n') + '\n');
  writeFileSync(join(dir, 'cdrs', 'b.csv'), [HEADER, ...rows.slice(200)].join('\n') + '\n');
}


/** A day of CDRs in a new folder, and the built modules the tests call. */
async function setup() {
  assertBuilt();
  const dir = tempDir();
  day(dir);
  return { dir, cdrs: join(dir, 'cdrs'), ...(await mod()), ...(await files()), ...(await pool()) };
}

describe('pass 1 started from the arguments', () => {
  it('starts only when the arguments say how the run will read', async () => {
    const { dir, cdrs, scanEarly, stopEarlyScan, startScan, pendingEarlyScan, listCdrInputs, stopPrestartedWorkers } = await setup();
    for (const argv of [
      ['--cdrs', cdrs, '--config', 'c.json'],
      ['--cdrs', cdrs, '--config=c.json'],
      ['--cdrs', cdrs, '--rules', 'simultaneity'],
      ['--cdrs', cdrs, '--max-line-bytes', '2048'],
      ['--cdrs', cdrs, '--no-prefilter'],
      ['--cdrs', cdrs, '--timezone', 'Lima'],
      ['--cdrs', '-'],
      ['--cdrs', join(dir, 'missing')],
      ['--cells', 'c.csv'],
    ]) {
      scanEarly(argv, 2);
      expect(pendingEarlyScan(), argv.join(' ')).toBeNull();
    }
    // Not a parallel run (parse-pool.ts said so): nothing either.
    scanEarly(['--cdrs', cdrs], null);
    expect(pendingEarlyScan()).toBeNull();
    // The arguments of the README's command: started, and a run with the config's defaults adopts it.
    scanEarly(['--cdrs', cdrs, '--cells', 'c.csv', '--out', 'o'], 2);
    const early = pendingEarlyScan();
    expect(early).not.toBeNull();
    const s = startScan({ inputs: listCdrInputs(cdrs), config: { timezone: '-05:00', maxLineBytes: 1 << 20 }, threads: 2 });
    expect(s).toBe(early);
    expect(pendingEarlyScan()).toBeNull();
    await s.stop();
    await stopEarlyScan();
    await stopPrestartedWorkers();
  });

  it('is adopted by a run with the same inputs and settings, and stopped for another', async () => {
    const { dir, cdrs, scanEarly, stopEarlyScan, startScan, pendingEarlyScan, listCdrInputs, stopPrestartedWorkers } = await setup();
    const inputs = listCdrInputs(cdrs);

    scanEarly(['--cdrs', cdrs, '--timezone=+09:00'], 2);
    const early = pendingEarlyScan();
    const same = startScan({ inputs, config: { timezone: '+09:00', maxLineBytes: 1 << 20 }, threads: 2 });
    expect(same).toBe(early);
    expect(same.stopping).toBe(false);
    // Pass 1 goes on to its end for the run that adopted it.
    await same.until(() => same.splits.size === 2);
    await same.stop();

    for (const other of [
      { inputs, config: { timezone: '-05:00', maxLineBytes: 1 << 20 }, threads: 2 },
      { inputs, config: { timezone: '+09:00', maxLineBytes: 4096 }, threads: 2 },
      { inputs, config: { timezone: '+09:00', maxLineBytes: 1 << 20 }, threads: 3 },
      { inputs: inputs.slice(1), config: { timezone: '+09:00', maxLineBytes: 1 << 20 }, threads: 2 },
      { inputs, config: { timezone: '+09:00', maxLineBytes: 1 << 20 }, threads: 2, rangeBytes: 700 },
    ]) {
      scanEarly(['--cdrs', cdrs, '--timezone', '+09:00'], 2);
      const e = pendingEarlyScan();
      expect(e).not.toBeNull();
      // Another scan, and the early one is stopped; the new one reads to its end.
      const s = startScan(other);
      expect(s).not.toBe(e);
      expect(e.stopping).toBe(true);
      expect(pendingEarlyScan()).toBeNull();
      await s.until(() => s.splits.size === other.inputs.length);
      await Promise.all([s.stop(), e.stop()]);
    }

    // Never adopted: the command's end stops it.
    scanEarly(['--cdrs', cdrs], 2);
    const left = pendingEarlyScan();
    await stopEarlyScan();
    expect(left.stopping).toBe(true);
    expect(pendingEarlyScan()).toBeNull();
    await stopPrestartedWorkers();
  });

  it('writes what one plain thread writes when the run adopts it, in a zone other than the default', async () => {
    const dir = tempDir();
    day(dir);
    const base = ['detect', '--cdrs', join(dir, 'cdrs'), '--cells', join(dir, 'cells.csv'), '--clickhouse', 'none', '--no-progress'];
    const ref = tempDir();
    const par = tempDir();
    const lima = tempDir();
    const runs = await Promise.all([
      runCli([...base, '--out', ref, '--threads', '1', '--no-prefilter', '--timezone', '+09:00'], { timeoutMs: 60_000 }),
      runCli([...base, '--out', par, '--threads', '2', '--timezone', '+09:00'], { timeoutMs: 60_000 }),
      runCli([...base, '--out', lima, '--threads', '2'], { timeoutMs: 60_000 }),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    for (const f of OUTPUT_FILES) expect(volatile(readFileSync(join(par, f), 'utf8')), f).toBe(volatile(readFileSync(join(ref, f), 'utf8')));
    const clones = readFileSync(join(par, 'clones.ndjson'), 'utf8');
    expect(clones.split('\n').length).toBeGreaterThan(2);
    // The zone reached the parse: the same rows read at -05:00 start 14 hours later.
    expect(clones).toContain('"time_a":"2026-02-28T23:');
    expect(readFileSync(join(lima, 'clones.ndjson'), 'utf8')).toContain('"time_a":"2026-03-01T13:');
  }, 90_000);

  it('lets the workers take every job of pass 1 while the main thread is busy', async () => {
    const { dir, startScan, listCdrInputs, stopPrestartedWorkers } = await setup();
    // Six inputs, two of 17 KB read by ranges of 700 bytes: 55 jobs for two workers.
    for (const name of ['c.csv', 'd.csv', 'e.csv', 'f.csv']) writeFileSync(join(dir, 'cdrs', name), readFileSync(join(dir, 'cdrs', 'a.csv')).subarray(0, 600));
    const scan = startScan({ inputs: listCdrInputs(join(dir, 'cdrs')), config: { timezone: '-05:00', maxLineBytes: 1 << 20 }, threads: 2, rangeBytes: 700 });
    // The main thread does not return to its event loop (as when it loads chDB): it hears no reply meanwhile.
    const deadline = Date.now() + 20_000;
    let taken = scan.jobsTaken();
    while (taken.asked < taken.jobs + 2 && Date.now() < deadline) taken = scan.jobsTaken();
    expect(taken.jobs).toBe(55);
    expect(taken.asked).toBe(taken.jobs + 2);
    await scan.until(() => scan.tables.length === 2 && scan.splits.size === 6);
    await scan.stop();
    await stopPrestartedWorkers();
  });
});
