// detect on a catalogue written as OpenCelliD's per-country export (SPEC Input 2 "As OpenCelliD publishes
// it", "Cell identity forms"): a gzipped file without header or .gz name, 28-bit UMTS ids, CDMA rows and
// blank lines; time-distance conflicts written with 16-bit and 28-bit UMTS forms are both found, and a
// short key shared by two cells gives ambiguous_cell, not a finding.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNdjson, runCli, stderrLines, tempDir } from '../helpers/cli.js';
import { generateExport, gzipExport, type ExportCell } from '../helpers/opencellid-export.js';

const HEADER = 'record_id,event_type,imei,imsi,msisdn,start_time,duration_s,radio,mcc,mnc,lac,ci';
const LIMA: ExportCell = { radio: 'UMTS', mcc: 716, net: 10, area: 51, cell: 300 * 65536 + 7001, lon: -77.0428, lat: -12.0464, range: 1500 };
const CUSCO: ExportCell = { radio: 'UMTS', mcc: 716, net: 10, area: 84, cell: 1200 * 65536 + 4242, lon: -71.9675, lat: -13.5319, range: 2000 };
// Two Arequipa cells of one area whose 28-bit ids share the low 16 bits.
const AQP1: ExportCell = { radio: 'UMTS', mcc: 716, net: 10, area: 54, cell: 500 * 65536 + 1234, lon: -71.537, lat: -16.409, range: 1000 };
const AQP2: ExportCell = { radio: 'UMTS', mcc: 716, net: 10, area: 54, cell: 501 * 65536 + 1234, lon: -71.52, lat: -16.39, range: 1000 };
const LTE_LIMA: ExportCell = { radio: 'LTE', mcc: 716, net: 6, area: 1001, cell: 40000 * 256 + 3, lon: -77.03, lat: -12.05, range: 800 };
const LTE_PIURA: ExportCell = { radio: 'LTE', mcc: 716, net: 6, area: 2002, cell: 41000 * 256 + 1, lon: -80.63, lat: -5.19, range: 800 };

describe('detect on an OpenCelliD per-country export', () => {
  it('finds conflicts on 16-bit and 28-bit UMTS forms and counts an ambiguous short key as ambiguous_cell', async () => {
    const dir = tempDir('clonewatch-ocid-');
    const { text } = generateExport({ cells: 4000, seed: 11, blankEvery: 50, cdmaShare: 0.01, planted: [LIMA, CUSCO, AQP1, AQP2, LTE_LIMA, LTE_PIURA] });
    // Gzipped, without a .gz name: recognised by its magic bytes.
    const cells = join(dir, '716.csv');
    writeFileSync(cells, gzipExport(text));
    const t = (min: number) => new Date(Date.UTC(2026, 2, 2, 10, min)).toISOString();
    const short = (c: ExportCell) => c.cell % 65536;
    const rows = [
      // IMEI 1: Lima with the CDR's 16-bit CI, Cusco with the 28-bit id, 10 minutes apart: ~580 km.
      `u16-a,voice_mo,35000000000011,716100000000001,,${t(0)},60,UMTS,716,10,51,${short(LIMA)}`,
      `u16-b,voice_mo,35000000000011,716100000000002,,${t(10)},60,UMTS,716,10,84,${CUSCO.cell}`,
      // IMEI 2: the other way round.
      `u28-a,voice_mo,35000000000022,716100000000003,,${t(0)},60,UMTS,716,10,51,${LIMA.cell}`,
      `u28-b,voice_mo,35000000000022,716100000000004,,${t(10)},60,UMTS,716,10,84,${short(CUSCO)}`,
      // IMEI 3: Lima, then the Arequipa short key two cells share: unknown cell, no time_distance.
      `amb-a,voice_mo,35000000000033,716100000000005,,${t(0)},60,UMTS,716,10,51,${LIMA.cell}`,
      `amb-b,voice_mo,35000000000033,716100000000006,,${t(10)},60,UMTS,716,10,54,${short(AQP1)}`,
      // IMEI 4: LTE with the full ECI (exact key).
      `lte-a,voice_mo,35000000000044,716100000000007,,${t(0)},60,LTE,716,6,1001,${LTE_LIMA.cell}`,
      `lte-b,voice_mo,35000000000044,716100000000008,,${t(10)},60,LTE,716,6,2002,${LTE_PIURA.cell}`,
    ];
    const cdrs = join(dir, 'cdrs.csv');
    writeFileSync(cdrs, HEADER + '\n' + rows.join('\n') + '\n');
    const out = join(dir, 'out');
    const r = await runCli(['detect', '--cdrs', cdrs, '--cells', cells, '--out', out, '--clickhouse', 'none'], { timeoutMs: 60000 });
    expect(r.code, r.stderr).toBe(0);
    const findings = readNdjson<{ imei: string; rule: string; cell_a: string | null; cell_b: string | null }>(join(out, 'clones.ndjson'));
    const td = findings.filter((f) => f.rule === 'time_distance');
    expect(td.map((f) => f.imei).sort()).toEqual(['35000000000011', '35000000000022', '35000000000044']);
    // The resolved cell is the catalogue's, in its own (28-bit) form.
    expect(td.find((f) => f.imei === '35000000000011')?.cell_a).toBe(`UMTS:716:10:51:${LIMA.cell}`);
    expect(td.find((f) => f.imei === '35000000000022')?.cell_b).toBe(`UMTS:716:10:84:${CUSCO.cell}`);
    expect(findings.filter((f) => f.imei === '35000000000033')).toEqual([]);
    const summary = stderrLines(r).join('\n');
    expect(summary).toMatch(/ambiguous cell \(ambiguous_cell\): 1\b/);
    // CDMA rows went to the rejects with their physical lines.
    const rejects = readNdjson<{ source: string; line: number; reason: string; raw: string }>(join(out, 'rejects.ndjson')).filter((x) => x.source === cells);
    expect(rejects.length).toBeGreaterThan(10);
    const lines = text.split('\n');
    for (const x of rejects) {
      expect(x.reason).toBe('invalid_cell');
      expect(lines[x.line - 1]).toBe(x.raw);
    }
  });

  it('warns, in the summary too, when the catalogue has a header and no rows', async () => {
    const dir = tempDir('clonewatch-ocid-');
    const cells = join(dir, 'cells.csv');
    writeFileSync(cells, 'radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n');
    const cdrs = join(dir, 'cdrs.csv');
    writeFileSync(cdrs, HEADER + '\n' + `a,voice_mo,35000000000011,716100000000001,,2026-03-02T10:00:00Z,60,LTE,716,6,1001,100\n`);
    const r = await runCli(['detect', '--cdrs', cdrs, '--cells', cells, '--out', join(dir, 'out'), '--clickhouse', 'none'], { timeoutMs: 60000 });
    expect(r.code, r.stderr).toBe(0);
    const warnings = stderrLines(r).filter((l) => /has a header and no rows/.test(l));
    expect(warnings.length).toBe(2);
    expect(warnings[0]).toMatch(/^clonewatch: warning: the cell catalogue .* time_distance finds nothing$/);
  });
});
