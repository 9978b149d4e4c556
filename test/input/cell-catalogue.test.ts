// The cell catalogue as OpenCelliD publishes it (SPEC Input 2): per-country exports without a header,
// gzip recognised by its magic bytes, CDMA rows rejected by name, physical reject line numbers, a
// header-only file that says so; and the cell identity forms (UMTS short-key fallback, ambiguity).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AMBIGUOUS_CELL } from '../../src/domain/lookups.js';
import { CellCatalogue, loadCellCatalogue } from '../../src/input/cell-catalogue.js';
import { generateExport, gzipExport, OPENCELLID_COLUMNS } from '../helpers/opencellid-export.js';

const RULES = { defaultRangeM: 1000, maxRangeM: 10000 };
const dir = mkdtempSync(join(tmpdir(), 'clonewatch-cells-'));
let n = 0;
function file(content: string | Buffer, name = `cells-${++n}.csv`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('per-country exports', () => {
  const { text, cells } = generateExport({ cells: 3000, seed: 5, blankEvery: 97, cdmaShare: 0.01 });
  const lines = text.split('\n');

  it('loads a headerless, gzipped export named .csv (gzip by magic), every non-CDMA cell in it', async () => {
    const path = file(gzipExport(text), '716.csv');
    const r = await loadCellCatalogue(path, RULES);
    expect(r.headerless).toBe(true);
    const cdma = cells.filter((c) => c.radio === 'CDMA').length;
    expect(cdma).toBeGreaterThan(5);
    expect(r.catalogue.size).toBe(cells.length - cdma);
    expect(r.rejects).toHaveLength(cdma);
    expect(r.warnings).toEqual([]);
    // A 28-bit UMTS id and a 36-bit NR id are found by their exact key.
    for (const c of cells.filter((x) => x.radio === 'UMTS' || x.radio === 'NR').slice(0, 50)) {
      const s = r.catalogue.lookup(c.radio as 'UMTS', c.mcc, c.net, c.area, c.cell);
      expect(s?.id).toBe(`${c.radio}:${c.mcc}:${c.net}:${c.area}:${c.cell}`);
      expect(s?.lat).toBeCloseTo(c.lat, 5);
      expect(s?.rangeM).toBe(Math.min(c.range, RULES.maxRangeM));
    }
  });

  it('rejects CDMA rows as invalid_cell by name, with the physical line (blank lines counted)', async () => {
    const r = await loadCellCatalogue(file(text), RULES);
    for (const rej of r.rejects) {
      expect(rej.reason).toBe('invalid_cell');
      expect(rej.detail).toContain('"CDMA"');
      expect(lines[rej.line! - 1]).toBe(rej.raw);
      expect(rej.raw.startsWith('CDMA,')).toBe(true);
    }
    // The blank lines come before most CDMA rows, so line numbers differ from row numbers.
    const rowNumbers = r.rejects.map((x) => lines.filter((l, i) => l !== '' && i < x.line!).length);
    expect(r.rejects.some((x, i) => x.line !== rowNumbers[i])).toBe(true);
  });

  it('reads the documented header too (the full export), in any column order', async () => {
    const cols = [...OPENCELLID_COLUMNS].reverse();
    const body = text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('CDMA'))
      .map((l) => l.split(',').reverse().join(','))
      .join('\n');
    const r = await loadCellCatalogue(file(cols.join(',') + '\n' + body + '\n'), RULES);
    expect(r.headerless).toBe(false);
    expect(r.catalogue.size).toBe(cells.filter((c) => c.radio !== 'CDMA').length);
  });
});

describe('reject line numbers are physical lines', () => {
  it('counts the header, blank lines and the lines of a multi-line quoted row', async () => {
    const text = [
      'radio,mcc,net,area,cell,lon,lat,range', // 1
      'LTE,716,6,1001,100,-77.0,-12.0,500', // 2
      '', // 3
      '"LTE",716,6,1001,"101', // 4: a good row whose quoted field runs over two lines
      '",-77.0,-12.0,500', // 5
      '', // 6
      'LTE,716,6,1001,102,-77.0,-95.0,500', // 7: bad latitude
      'LTE,716,6', // 8: wrong width
      'CDMA,716,6,1001,103,-77.0,-12.0,500', // 9
      '"LTE",716,6,1001,"1x', // 10: a bad row over two lines
      '2",-77.0,-12.0,500', // 11
      'LTE,716,6,1001,104,-77.0,-91.0,500', // 12
    ].join('\r\n');
    const r = await loadCellCatalogue(file(text), RULES);
    expect(r.rejects.map((x) => [x.line, x.detail.slice(0, 12)])).toEqual([
      [7, 'lat/lon -95,'],
      [8, 'wrong number'],
      [9, 'radio "CDMA"'],
      [10, 'mcc, net, ar'],
      [12, 'lat/lon -91,'],
    ]);
    expect(r.catalogue.size).toBe(2);
  });
});

describe('a header-only catalogue', () => {
  it('loads with no cell and a warning that says so', async () => {
    const r = await loadCellCatalogue(file('radio,mcc,net,area,cell,lon,lat,range\n'), RULES);
    expect(r.catalogue.size).toBe(0);
    expect(r.rows).toBe(0);
    expect(r.warnings.join()).toMatch(/has a header and no rows/);
  });

  it('reads cell codes with leading zeros as the same numbers (up to 12 digits after them), as a CDR does', async () => {
    const text = 'radio,mcc,net,area,cell,lon,lat,range\nNR,716,10,0000000025601,0032799129601,-77.03,-12.05,500\nLTE,716,10,1,1000000000000,-77.03,-12.05,500\nLTE,716,10,1,0000001000000000000,-77.03,-12.05,500\n';
    const r = await loadCellCatalogue(file(text), RULES);
    expect(r.catalogue.size).toBe(1);
    expect(r.catalogue.lookup('NR', 716, 10, 25601, 32799129601)?.id).toBe('NR:716:10:25601:32799129601');
    expect(r.rejects.map((x) => [x.line, x.reason])).toEqual([
      [3, 'invalid_cell'],
      [4, 'invalid_cell'],
    ]);
  });

  it('an empty file is an error that says it is empty', async () => {
    await expect(loadCellCatalogue(file(''), RULES)).rejects.toThrow(/is empty/);
  });

  it('a header without the needed columns names them', async () => {
    await expect(loadCellCatalogue(file('foo,bar\n1,2\n'), RULES)).rejects.toThrow(/lacks column\(s\) radio, mcc/);
  });
});

describe('cell identity forms', () => {
  const site = (radio: 'GSM' | 'UMTS' | 'LTE' | 'NR', mcc: number, mnc: number, lac: number, ci: number) => ({ radio, mcc, mnc, lac, ci, lat: -12, lon: -77, rangeM: 500 });

  it('UMTS: a CDR with the 16-bit CI finds the catalogue cell written as the 28-bit UTRAN id', () => {
    const cat = new CellCatalogue([site('UMTS', 716, 10, 51, 300 * 65536 + 7001)]);
    expect(cat.lookup('UMTS', 716, 10, 51, 7001)?.id).toBe(`UMTS:716:10:51:${300 * 65536 + 7001}`);
  });

  it('UMTS: a CDR with the 28-bit id finds the catalogue cell written with the 16-bit CI', () => {
    const cat = new CellCatalogue([site('UMTS', 716, 10, 51, 7001)]);
    expect(cat.lookup('UMTS', 716, 10, 51, 12 * 65536 + 7001)?.id).toBe('UMTS:716:10:51:7001');
  });

  it('a short key shared by two cells is ambiguous, never a guess; the exact key still wins', () => {
    const a = 300 * 65536 + 7001;
    const b = 301 * 65536 + 7001;
    const cat = new CellCatalogue([site('UMTS', 716, 10, 51, a), site('UMTS', 716, 10, 51, b)]);
    expect(cat.ambiguousShortKeys).toBe(1);
    expect(cat.lookup('UMTS', 716, 10, 51, 7001)).toBe(AMBIGUOUS_CELL);
    expect(cat.lookup('UMTS', 716, 10, 51, 999 * 65536 + 7001)).toBe(AMBIGUOUS_CELL);
    expect(cat.lookup('UMTS', 716, 10, 51, a)?.id).toBe(`UMTS:716:10:51:${a}`);
    // Another area, net or mcc is another short key.
    expect(cat.lookup('UMTS', 716, 10, 52, 7001)).toBeUndefined();
  });

  it('a row repeated for the same cell replaces it (newer survey wins) and is no ambiguity', () => {
    const cat = new CellCatalogue([site('UMTS', 716, 10, 51, 65536 + 5), { ...site('UMTS', 716, 10, 51, 65536 + 5), lat: -13 }]);
    expect(cat.size).toBe(1);
    expect(cat.ambiguousShortKeys).toBe(0);
    expect(cat.lookup('UMTS', 716, 10, 51, 5)?.lat).toBe(-13);
  });

  it('the fallback is for UMTS only: LTE ECIs and GSM CIs match exactly or not at all', () => {
    const cat = new CellCatalogue([site('LTE', 716, 6, 1001, 5000 * 256 + 3), site('GSM', 716, 17, 61, 4001), site('NR', 716, 6, 9, 2 ** 35 + 11)]);
    expect(cat.lookup('LTE', 716, 6, 1001, 3)).toBeUndefined();
    expect(cat.lookup('LTE', 716, 6, 1001, (5000 * 256 + 3) % 65536)).toBeUndefined();
    expect(cat.lookup('GSM', 716, 17, 61, 4001)?.id).toBe('GSM:716:17:61:4001');
    expect(cat.lookup('NR', 716, 6, 9, 2 ** 35 + 11)?.id).toBe(`NR:716:6:9:${2 ** 35 + 11}`);
    expect(cat.lookup('NR', 716, 6, 9, 11)).toBeUndefined();
  });

  it('many cells: every one found by its exact key after the tables grow', () => {
    const { cells } = generateExport({ cells: 20000, seed: 9, cdmaShare: 0 });
    const cat = new CellCatalogue(cells.map((c) => site(c.radio as 'GSM', c.mcc, c.net, c.area, c.cell)));
    for (const c of cells) expect(cat.lookup(c.radio as 'GSM', c.mcc, c.net, c.area, c.cell)?.id).toBe(`${c.radio}:${c.mcc}:${c.net}:${c.area}:${c.cell}`);
  });

  it('room reserved before, during and short of the rows: every cell found, none lost by a rehash', () => {
    const { cells } = generateExport({ cells: 20000, seed: 11, cdmaShare: 0 });
    for (const [before, during] of [
      [30000, 0],
      [5000, 0],
      [0, 40000],
    ]) {
      const cat = new CellCatalogue();
      cat.reserve(before);
      cells.forEach((c, i) => {
        if (i === 10000) cat.reserve(during);
        cat.add(site(c.radio as 'GSM', c.mcc, c.net, c.area, c.cell));
      });
      expect(cat.size).toBe(cells.length);
      const found = cells.filter((c) => cat.lookup(c.radio as 'GSM', c.mcc, c.net, c.area, c.cell)?.id === `${c.radio}:${c.mcc}:${c.net}:${c.area}:${c.cell}`);
      expect(found.length).toBe(cells.length);
    }
  });
});

describe('rows read from their bytes and rows read as text agree', () => {
  const HEAD = 'radio,mcc,net,area,cell,lon,lat,range\n';

  it('takes every form the text path takes, with the same numbers, and leaves it the rest', async () => {
    const rows = [
      'LTE,716,10,100,1,-77.034727,-11.93107,2668', // 2: the plain form
      'LTE,716,10,100,2, -77.5 ,-12.0 , 500', // 3: spaces (the text path trims them)
      'LTE,716,10,100,3,-77,-12,1e3', // 4: a range with an exponent
      'LTE,716,10,100,4,-77,-12,0', // 5: range 0: the default
      'LTE,716,10,100,5,-77,-12,', // 6: no range: the default
      'LTE,716,10,100,6,-77,-12,20000', // 7: capped at maxRangeM
      'LTE,716,10,100,7,-77,-12,12.75', // 8
      'LTE,716,10,100,8,-77,-12,-5', // 9: reject
      'LTE,716,10,100,9,-77.03472712345678901,-0,500', // 10: more digits than a double holds; minus zero
      'LTE,716,10,100,10,-77,12.,500', // 11: reject
      'LTE,716,10,100,11,-77,.5,500', // 12: reject
      'LTE,716,10,100,12,-77,1e1,500', // 13: reject
      'lte,716,10,100,13,-77,-12,500', // 14: reject
      'LTE,716,10,100,14,-77,-12,500,extra', // 15: reject (the header has 8 columns)
      '"LTE",716,10,100,15,"-77.25",-12,500', // 16: quoted
      'LTE,716,10,100,16,-181,-12,500', // 17: reject
      'NR,716,10,000,0032799129601,-77.0000000000000001,-12.000000000000000000000001,500', // 18
      'UMTS,716,10,100,17,0.1,0.2,0.3', // 19
      'LTE,716,10,100,18,-77,-12,0x10', // 20: Number() reads hex: 16 m
    ];
    const r = await loadCellCatalogue(file(HEAD + rows.join('\n') + '\n'), RULES);
    expect(r.rejects.map((x) => x.line)).toEqual([9, 11, 12, 13, 14, 15, 17]);
    expect(r.rows).toBe(rows.length);
    const site = (radio: 'LTE' | 'NR' | 'UMTS', lac: number, ci: number) => {
      const s = r.catalogue.lookup(radio, 716, 10, lac, ci);
      return s ? [s.lon, s.lat, s.rangeM] : null;
    };
    expect(site('LTE', 100, 1)).toEqual([-77.034727, -11.93107, 2668]);
    expect(site('LTE', 100, 2)).toEqual([-77.5, -12, 500]);
    expect([3, 4, 5, 6, 7].map((ci) => site('LTE', 100, ci)?.[2])).toEqual([1000, 1000, 1000, 10000, 12.75]);
    const [lon9, lat9] = site('LTE', 100, 9)!;
    expect(lon9).toBe(Number('-77.03472712345678901'));
    expect(Object.is(lat9, -0)).toBe(true);
    expect(site('LTE', 100, 15)).toEqual([-77.25, -12, 500]);
    expect(site('NR', 0, 32799129601)).toEqual([Number('-77.0000000000000001'), Number('-12.000000000000000000000001'), 500]);
    expect(site('UMTS', 100, 17)).toEqual([0.1, 0.2, 0.3]);
    expect(site('LTE', 100, 18)?.[2]).toBe(16);
  });

  it('reads random decimals as Number() does, to the last bit', async () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const digits = (n: number) => Array.from({ length: n }, () => String(rnd(10))).join('');
    const texts: Array<[string, string, string]> = [];
    for (let i = 0; i < 3000; i++) {
      const dec = (maxInt: number) => `${rnd(2) ? '-' : ''}${rnd(maxInt)}${rnd(5) ? `.${digits(1 + rnd(18))}` : ''}`;
      texts.push([dec(180), dec(90), `${rnd(20000)}.${digits(1 + rnd(6))}`]);
    }
    const body = texts.map(([lon, lat, range], i) => `LTE,716,10,7,${i + 1},${lon},${lat},${range}`).join('\n');
    const r = await loadCellCatalogue(file(HEAD + body + '\n'), { defaultRangeM: 1000, maxRangeM: 100000 });
    expect(r.rejects).toEqual([]);
    const wrong = texts.filter(([lon, lat, range], i) => {
      const s = r.catalogue.lookup('LTE', 716, 10, 7, i + 1)!;
      return !Object.is(s.lon, Number(lon)) || !Object.is(s.lat, Number(lat)) || !Object.is(s.rangeM, Number(range) > 0 ? Number(range) : 1000);
    });
    expect(wrong).toEqual([]);
  });
});
