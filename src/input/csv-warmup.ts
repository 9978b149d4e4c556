// A few hundred synthetic CDR lines of every shape the CSV reader handles, for a thread to read once before
// the real input. The reader's main loop (CdrCsvParser.consume, with the splitter and the validator inlined)
// is one large function: V8 compiles it with the type feedback it has seen so far, and every path that the
// input first takes later (the first quoted line, "" escape, CRLF, blank line, invalid field...) throws the
// compiled code away and compiles it again, tens of milliseconds each time, in every thread. Measured on 1M
// rows: compiling took 14 % of a one-thread run's CPU and 25 % of a run with two parse workers. Reading every
// shape first lets the first compilation be the last.

import { CellCatalogue } from './cell-catalogue.js';
import { RADIOS, type Radio } from '../domain/types.js';
import { CELL_AMBIGUOUS, CELL_UNKNOWN, RADIO_INDEX, type CellStatus } from '../domain/lookups.js';

/** A CDR's cell key. */
export interface WarmupCell {
  radio: Radio;
  mcc: number;
  mnc: number;
  lac: number;
  ci: number;
}

/** The cell of warm-up row n, as the row carries it (warmupCatalogue lists most of them). */
export function warmupCell(n: number): WarmupCell {
  const radio = RADIOS[n % 4];
  // NR cell ids have 36 bits (OpenCelliD's NCI): most of them beyond V8's small integers, which a warm-up of
  // small ids let it compile the validator for (thrown away at the first such CDR, in each worker).
  const ci = radio === 'NR' && n % 8 === 3 ? 32799129601 + (n % 400) : 1 + (n % 400);
  return { radio, mcc: 716, mnc: 6 + (n % 3) * 4, lac: 100 + (n % 50), ci };
}

/** A UMTS cell no catalogue cell has exactly, whose short key two catalogue cells share (ambiguous_cell). */
export const WARMUP_AMBIGUOUS_CELL: WarmupCell = { radio: 'UMTS', mcc: 716, mnc: 14, lac: 101, ci: 2 };

const HEADERS = [
  'record_id,event_type,imei,imsi,msisdn,start_time,duration_s,radio,mcc,mnc,lac,ci',
  'start_time,imei,imsi,msisdn,record_id,event_type,duration_s,radio,mcc,mnc,lac,ci,note',
];

// Times in every form, and one past 2038 (seconds since 1970 beyond 32 bits: a feed's clock in 2099).
const TIMES = ['2026-03-01T10:00:00Z', '2026-03-01T10:00:01.250Z', '2026-03-01T05:00:02-05:00', '2026-03-01 10:00:03', '2026-03-01T10:00:04+01:00', '1772359205000', '2099-03-01T10:00:05Z'];

/** Rows in the first header's order; `bad` spoils one field so that every reject reason is read once. */
function row(i: number, bad: number): string[] {
  const cell = warmupCell(i);
  const f = [
    // Every 10th record_id repeats an earlier one (duplicate deliveries).
    `w${i % 10 === 9 ? i - 5 : i}`,
    ['voice_mo', 'voice_mt', 'sms_mo', 'sms_mt', 'data'][i % 5],
    // Most IMEIs new (a first pass's table grows, and validates each new row), every 7th one of 97 (several IMSIs).
    `3569380${String(10000000 + (i % 7 === 0 ? i % 97 : i)).slice(-7)}${i % 10}`,
    `71610${String(1000000000 + (i % 89)).slice(-10)}`,
    ['+51987654321', '51987654321', ''][i % 3],
    TIMES[i % TIMES.length],
    // Tenths whose milliseconds are not whole in floating point too (32.7 s is 32700.000000000004 ms), on the rows
    // with a second IMSI as well (pass 1 validates only those): with only 0 there, V8 compiled pass 1's end time
    // for small integers and threw it away at the first such row of a real file, in each worker.
    i % 11 === 0 ? '0' : i % 2 === 0 ? ['32.7', '64.9', '259.9', '1036.4'][(i >> 1) % 4] : String((i % 600) + 0.5),
    cell.radio,
    String(cell.mcc),
    String(cell.mnc),
    // Cell codes with leading zeros now and then (the same numbers).
    i % 13 === 4 ? `00${cell.lac}` : String(cell.lac),
    i % 17 === 6 ? `000${cell.ci}` : String(cell.ci),
  ];
  const spoil: Array<[number, string]> = [
    [0, 'x'.repeat(70)],
    [1, 'fax'],
    [2, '35693803'],
    [2, '00000000000000'],
    [3, '7161x'],
    [4, '+5198x'],
    [5, '2026-02-30T10:00:00Z'],
    [6, '-3'],
    [7, 'WIMAX'],
    [8, 'x'],
    [11, ''],
  ];
  if (bad > 0) {
    const [k, v] = spoil[(bad - 1) % spoil.length];
    f[k] = v;
  }
  return f;
}

const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;

/**
 * The warm-up input: two files (two headers), each as a list of chunks cut at odd places so that lines also
 * run across chunk ends.
 */
export function csvWarmupFiles(): Buffer[][] {
  const lines: string[] = [];
  for (let rep = 0; rep < 30; rep++) {
    for (let i = 0; i < 24; i++) {
      const n = rep * 24 + i;
      const f = row(n, i < 12 ? i : 0);
      let line: string;
      if (i % 6 === 1) line = f.map((v, k) => (k === 4 || k === 0 ? quote(v) : v)).join(','); // simple quoted fields
      else if (i % 6 === 2) line = [...f.slice(0, 11), quote(f[11])].join(',');
      else line = f.join(',');
      lines.push(line);
      if (i === 5) lines.push(''); // a blank line
      if (i === 7) lines.push(`${f.join(',')},extra`); // a row of the wrong width
      if (i === 9) lines.push(`"w${n}x,broken`); // a quote that never closes
      if (i === 11) lines.push(`w${n}short,voice_mo`); // too short to hold the IMEI and IMSI (pass 1 skips it)
    }
  }
  // The same rows in another column order, with a note column: "" escapes, commas and a line end in quotes.
  const other: string[] = [];
  for (let i = 0; i < 240; i++) {
    const f = row(10000 + i, i % 13 === 0 ? 1 + (i % 11) : 0);
    const note = ['', 'plain', quote('a, "b"'), quote('two\nlines'), quote('crlf\r\ninside')][i % 5];
    // With a note that needs the RFC 4180 parse, the MSISDN quoted too: a closing quote then a comma on that path.
    const msisdn = i % 5 >= 2 ? quote(f[4]) : f[4];
    other.push([f[5], f[2], f[3], msisdn, f[0], f[1], f[6], f[7], f[8], f[9], f[10], f[11], note].join(','));
  }
  const a = Buffer.from('\ufeff' + HEADERS[0] + '\n' + lines.map((l, i) => l + (i % 3 === 0 ? '\r\n' : '\n')).join(''));
  // CRLF and LF line ends both after the quoted notes (the RFC 4180 path ends a record on either).
  const b = Buffer.from(HEADERS[1] + '\r\n' + other.map((l, i) => l + (i % 2 === 0 ? '\r\n' : '\n')).join(''));
  return [a, b].map((buf) => {
    const chunks: Buffer[] = [];
    for (let i = 0, k = 0; i < buf.length; k++) chunks.push(buf.subarray(i, (i += [701, 4096, 333, 8192][k % 4])));
    return chunks;
  });
}

/**
 * A catalogue with the cells of most warm-up rows (every fifth unknown), some UMTS ones under their 28-bit id
 * (found by the short key) and one short key shared by two cells, so that the warm-up also takes every path of
 * a cell lookup before the real catalogue arrives.
 */
export function warmupCatalogue(): CellCatalogue {
  const cat = new CellCatalogue();
  // The cells of rows 0-399 (row n's cell is row n + 400's).
  for (let n = 0; n < 400; n++) {
    if (n % 5 === 0) continue;
    const cell = warmupCell(n);
    const rnc = cell.radio === 'UMTS' && n % 3 === 0 ? 7 : 0;
    cat.add({ ...cell, ci: rnc * 65536 + cell.ci, lat: -12 - n / 1000, lon: -77, rangeM: 1000 });
  }
  // Row 401 carries WARMUP_AMBIGUOUS_CELL: no exact cell, a short key shared by these two.
  const a = WARMUP_AMBIGUOUS_CELL;
  for (const rnc of [8, 9]) cat.add({ ...a, ci: rnc * 65536 + a.ci, lat: -12, lon: -77, rangeM: 1000 });
  return cat;
}

/** The cells a warm-up takes its rows' cells from, and one ambiguous cell (or none). */
export interface WarmupCells {
  cells: WarmupCell[];
  ambiguous: WarmupCell | null;
}

/**
 * 400 cells of a real catalogue, for a warm-up that runs with the run's own catalogue (pipeline/batch-admitter.ts):
 * known cells spread over the whole catalogue (far apart, so that time_distance can fire), every fifth one a key
 * the catalogue does not have, and a UMTS short key that several cells share when the catalogue has one.
 * An empty catalogue gives unknown cells only.
 */
export function cellsOfCatalogue(cat: CellCatalogue): WarmupCells {
  const k = cat.sharedKeys();
  const cellAt = (j: number): WarmupCell => ({ radio: RADIOS[k.radio[j]], mcc: k.mcc[j], mnc: k.mnc[j], lac: k.lac[j], ci: k.ci[j] });
  const statusOf = (c: WarmupCell): CellStatus => cat.status(RADIO_INDEX[c.radio], c.mcc, c.mnc, c.lac, c.ci);
  const cells: WarmupCell[] = [];
  for (let n = 0; n < 400; n++) {
    const base = k.n > 0 ? cellAt(Math.floor((n * k.n) / 400)) : warmupCell(n);
    if (n % 5 !== 0 && k.n > 0) {
      // Every other UMTS cell with a 28-bit id as a CDR may carry it, by its 16-bit CI (the short key), when
      // that finds it alone.
      const short = { ...base, ci: base.ci % 65536 };
      cells.push(n % 2 === 1 && base.radio === 'UMTS' && base.ci > 65535 && statusOf(short) === statusOf(base) ? short : base);
      continue;
    }
    // A key next to a real one (same radio and network) that the catalogue lacks; MCC 999 if none is found.
    let c: WarmupCell = { ...base, lac: 65535 - (n % 7), ci: base.ci + 1 + n };
    for (let t = 0; statusOf(c) !== CELL_UNKNOWN && t < 8; t++) c = { ...c, ci: c.ci + 65537 };
    if (statusOf(c) !== CELL_UNKNOWN) c = { ...c, mcc: 999, mnc: 99 };
    cells.push(c);
  }
  // The short key of a cell that shares it, unless a cell has that key exactly.
  const j = cat.ambiguousShortKeyCell();
  const short = j < 0 ? null : { ...cellAt(j), ci: k.ci[j] % 65536 };
  const ambiguous = short !== null && statusOf(short) === CELL_AMBIGUOUS ? short : null;
  return { cells, ambiguous };
}
