import { AMBIGUOUS_CELL, CELL_AMBIGUOUS, CELL_KNOWN, CELL_UNKNOWN, RADIO_INDEX, type CellLookup, type CellStatus } from '../domain/lookups.js';
import type { CellSite, Radio, Reject } from '../domain/types.js';
import { RADIOS } from '../domain/types.js';
import type { RuleConfig } from '../config/schema.js';
import { statSync } from 'node:fs';
import { readCsvTable } from './csv-table.js';
import { radio as radioBytes, uint } from './cdr-validate.js';
import { isGzipFile } from './cdr-files.js';

/** UMTS: OpenCelliD's `cell` is the 28-bit UTRAN cell id (RNC id x 65536 + CI); CDRs often carry the 16-bit CI. */
const UMTS_CI_MOD = 65536;
const UMTS = RADIOS.indexOf('UMTS');
const TWO_32 = 2 ** 32;
/** CellCatalogue.find: no cell has the key; several cells share the UMTS short key. */
const NOT_FOUND = -1;
const AMBIGUOUS = -2;

/** The catalogue's keys and hash tables in shared memory (CellCatalogue.sharedKeys / fromKeys). */
export interface CatalogueKeys {
  n: number;
  nShort: number;
  radio: Uint8Array;
  mcc: Float64Array;
  mnc: Float64Array;
  lac: Float64Array;
  ci: Float64Array;
  exact: Float64Array;
  short: Int32Array;
  shortShared: Uint8Array;
}

export interface CatalogueCell extends CellSite {
  radio: Radio;
  mcc: number;
  mnc: number;
  lac: number;
  ci: number;
}

/**
 * The operator's list of base-station sectors, keyed `RADIO:mcc:mnc:lac:ci` (OpenCelliD radio,mcc,net,area,cell).
 * A CDR's cell is looked up by its exact key first; for UMTS, a miss falls back to the short key
 * (radio, mcc, net, area, cell mod 65536) on both sides, answered only when one catalogue cell has it.
 *
 * Columnar: a national catalogue (10^5..10^6 cells) is a few typed arrays and two open-addressing tables
 * of cell indexes, not a million objects; a cell's CellSite object is made on its first lookup and kept,
 * so the per-CDR lookup allocates nothing.
 */
export class CellCatalogue implements CellLookup {
  private cap = 0;
  private n = 0;
  private radio: Uint8Array = new Uint8Array(0);
  private mcc: Float64Array = new Float64Array(0);
  private mnc: Float64Array = new Float64Array(0);
  private lac: Float64Array = new Float64Array(0);
  private ci: Float64Array = new Float64Array(0);
  private lat: Float64Array = new Float64Array(0);
  private lon: Float64Array = new Float64Array(0);
  private rangeM: Float64Array = new Float64Array(0);
  private sites: Array<CellSite | undefined> = [];
  /**
   * Exact keys, EXACT_STRIDE numbers a slot: cell index + 1 (0 = empty), ci, lac, and radio/mcc/mnc packed
   * (packedRmm), so that a lookup reads one slot instead of five column arrays (a cache miss each when the
   * CSV reader has pushed them out of cache).
   */
  private exact: Float64Array = new Float64Array(16 * EXACT_STRIDE);
  /** UMTS short keys: slot -> cell index + 1; `shortShared[slot]` = 1 when more than one cell has that short key. */
  private short: Int32Array = new Int32Array(16);
  private shortShared: Uint8Array = new Uint8Array(16);
  private nShort = 0;
  /** Short UMTS keys that more than one catalogue cell shares. */
  ambiguousShortKeys = 0;
  private keysShared: CatalogueKeys | null = null;

  constructor(cells: Iterable<CatalogueCell> = []) {
    for (const c of cells) this.add(c);
  }

  /**
   * Make room for about `cells` cells at once, so that loading a large catalogue does not rehash its table a
   * dozen times as it doubles (each rehash runs once, mostly before V8 optimizes it: 37k cells spent ~90 ms there).
   */
  reserve(cells: number): void {
    while (this.cap < cells) this.grow();
    let length = this.exact.length;
    while ((cells + 1) * 2 * EXACT_STRIDE > length) length *= 2;
    if (length > this.exact.length) this.rehashExact(length);
  }

  /** Add a cell; a later row for the same cell replaces an earlier one (the newer survey wins). */
  add(c: { radio: Radio; mcc: number; mnc: number; lac: number; ci: number; lat: number; lon: number; rangeM: number }): void {
    const r = RADIOS.indexOf(c.radio);
    let slot = this.findExact(r, c.mcc, c.mnc, c.lac, c.ci);
    let i: number;
    if (this.exact[slot] !== 0) {
      i = this.exact[slot] - 1;
      this.sites[i] = undefined;
    } else {
      if (this.n === this.cap) this.grow();
      if ((this.n + 1) * 2 * EXACT_STRIDE > this.exact.length) {
        this.rehashExact();
        slot = this.findExact(r, c.mcc, c.mnc, c.lac, c.ci);
      }
      i = this.n++;
      const e = this.exact;
      e[slot] = i + 1;
      e[slot + 1] = c.ci;
      e[slot + 2] = c.lac;
      e[slot + 3] = packedRmm(r, c.mcc, c.mnc);
      this.radio[i] = r;
      this.mcc[i] = c.mcc;
      this.mnc[i] = c.mnc;
      this.lac[i] = c.lac;
      this.ci[i] = c.ci;
      this.sites.push(undefined);
      if (r === UMTS) this.addShort(i);
    }
    this.lat[i] = c.lat;
    this.lon[i] = c.lon;
    this.rangeM[i] = c.rangeM;
  }

  lookup(radio: Radio, mcc: number, mnc: number, lac: number, ci: number): CellSite | undefined {
    const i = this.find(RADIO_INDEX[radio], mcc, mnc, lac, ci);
    return i >= 0 ? this.site(i) : i === AMBIGUOUS ? AMBIGUOUS_CELL : undefined;
  }

  /** What lookup would answer, without a CellSite: CELL_KNOWN, CELL_UNKNOWN or CELL_AMBIGUOUS (radio: RADIOS index). */
  status(r: number, mcc: number, mnc: number, lac: number, ci: number): CellStatus {
    const i = this.find(r, mcc, mnc, lac, ci);
    return i >= 0 ? CELL_KNOWN : i === AMBIGUOUS ? CELL_AMBIGUOUS : CELL_UNKNOWN;
  }

  /**
   * The cell's index: by its exact key first; for UMTS, a miss falls back to the short key, answered only
   * when one catalogue cell has it. NOT_FOUND, or AMBIGUOUS when several cells share that short key.
   */
  private find(r: number, mcc: number, mnc: number, lac: number, ci: number): number {
    const e = this.exact[this.findExact(r, mcc, mnc, lac, ci)];
    if (e !== 0) return e - 1;
    if (r !== UMTS || this.nShort === 0) return NOT_FOUND;
    const slot = this.findShort(mcc, mnc, lac, shortCi(ci));
    const s = this.short[slot];
    if (s === 0) return NOT_FOUND;
    return this.shortShared[slot] ? AMBIGUOUS : s - 1;
  }

  /**
   * The keys and hash tables of the catalogue in shared memory (made once), for worker threads that only
   * need status(): CellCatalogue.fromKeys there answers as this one does.
   */
  sharedKeys(): CatalogueKeys {
    if (this.keysShared === null) {
      const share = <T extends Uint8Array | Int32Array | Float64Array>(a: T, n: number): T => {
        const bytes = n * a.BYTES_PER_ELEMENT;
        const s = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(Math.max(bytes, 8)));
        s.set(a.subarray(0, n));
        return s;
      };
      this.keysShared = {
        n: this.n,
        nShort: this.nShort,
        radio: share(this.radio, this.n),
        mcc: share(this.mcc, this.n),
        mnc: share(this.mnc, this.n),
        lac: share(this.lac, this.n),
        ci: share(this.ci, this.n),
        exact: share(this.exact, this.exact.length),
        short: share(this.short, this.short.length),
        shortShared: share(this.shortShared, this.shortShared.length),
      };
    }
    return this.keysShared;
  }

  /** A catalogue that answers status() (and lookup() without coordinates: never use that) from sharedKeys(). */
  static fromKeys(k: CatalogueKeys): CellCatalogue {
    const c = new CellCatalogue();
    c.n = c.cap = k.n;
    c.nShort = k.nShort;
    c.radio = k.radio;
    c.mcc = k.mcc;
    c.mnc = k.mnc;
    c.lac = k.lac;
    c.ci = k.ci;
    c.exact = k.exact;
    c.short = k.short;
    c.shortShared = k.shortShared;
    return c;
  }

  get size(): number {
    return this.n;
  }

  /** A UMTS cell whose short key other cells share (its index), or -1: a catalogue without ambiguous keys. */
  ambiguousShortKeyCell(): number {
    for (let slot = 0; slot < this.short.length; slot++) if (this.shortShared[slot] && this.short[slot] !== 0) return this.short[slot] - 1;
    return -1;
  }

  static empty(): CellCatalogue {
    return new CellCatalogue();
  }

  private site(i: number): CellSite {
    let s = this.sites[i];
    if (s === undefined) {
      s = { id: `${RADIOS[this.radio[i]]}:${this.mcc[i]}:${this.mnc[i]}:${this.lac[i]}:${this.ci[i]}`, lat: this.lat[i], lon: this.lon[i], rangeM: this.rangeM[i] };
      this.sites[i] = s;
    }
    return s;
  }

  private addShort(i: number): void {
    if ((this.nShort + 1) * 2 > this.short.length) {
      const shared = this.shortShared;
      const old = this.short;
      this.short = new Int32Array(old.length * 2);
      this.shortShared = new Uint8Array(old.length * 2);
      for (let s = 0; s < old.length; s++) {
        if (old[s] === 0) continue;
        const j = old[s] - 1;
        const t = this.findShort(this.mcc[j], this.mnc[j], this.lac[j], shortCi(this.ci[j]));
        this.short[t] = old[s];
        this.shortShared[t] = shared[s];
      }
    }
    const slot = this.findShort(this.mcc[i], this.mnc[i], this.lac[i], shortCi(this.ci[i]));
    if (this.short[slot] === 0) {
      this.short[slot] = i + 1;
      this.nShort++;
    } else if (!this.shortShared[slot]) {
      // Another cell (another full id: the same one would have matched exactly) with this short key.
      this.shortShared[slot] = 1;
      this.ambiguousShortKeys++;
    }
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const g8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    const g = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.radio = g8(this.radio);
    this.mcc = g(this.mcc);
    this.mnc = g(this.mnc);
    this.lac = g(this.lac);
    this.ci = g(this.ci);
    this.lat = g(this.lat);
    this.lon = g(this.lon);
    this.rangeM = g(this.rangeM);
    this.cap = cap;
  }

  /** The exact table at `length` numbers (a power of two, twice the size by default), every slot where its key hashes to now. */
  private rehashExact(length = this.exact.length * 2): void {
    const old = this.exact;
    const t = new Float64Array(length);
    const mask = t.length / EXACT_STRIDE - 1;
    for (let s = 0; s < old.length; s += EXACT_STRIDE) {
      if (old[s] === 0) continue;
      const i = old[s] - 1;
      let h = hash(this.radio[i], this.mcc[i], this.mnc[i], this.lac[i], this.ci[i]) & mask;
      while (t[h * EXACT_STRIDE] !== 0) h = (h + 1) & mask;
      // Element by element: a subarray per slot cost more than the rest of the rehash (80k cells: 93 ms).
      const at = h * EXACT_STRIDE;
      for (let k = 0; k < EXACT_STRIDE; k++) t[at + k] = old[s + k];
    }
    this.exact = t;
  }

  /** The offset of this key's slot in the exact table: where it is, or the empty slot where it would go. */
  private findExact(r: number, mcc: number, mnc: number, lac: number, ci: number): number {
    const t = this.exact;
    const mask = t.length / EXACT_STRIDE - 1;
    const rmm = packedRmm(r, mcc, mnc);
    let h = hash(r, mcc, mnc, lac, ci) & mask;
    for (;;) {
      const at = h * EXACT_STRIDE;
      const v = t[at];
      if (v === 0) return at;
      if (t[at + 1] === ci && t[at + 2] === lac && t[at + 3] === rmm) {
        // Packed radio/mcc/mnc are exact unless an mcc or mnc is out of their range: then ask the columns.
        if (rmm !== RMM_UNPACKED) return at;
        const i = v - 1;
        if (this.mnc[i] === mnc && this.mcc[i] === mcc && this.radio[i] === r) return at;
      }
      h = (h + 1) & mask;
    }
  }

  private findShort(mcc: number, mnc: number, lac: number, short: number): number {
    const t = this.short;
    const mask = t.length - 1;
    let h = hash(UMTS, mcc, mnc, lac, short) & mask;
    for (;;) {
      const v = t[h];
      if (v === 0) return h;
      const i = v - 1;
      if (shortCi(this.ci[i]) === short && this.lac[i] === lac && this.mnc[i] === mnc && this.mcc[i] === mcc) return h;
      h = (h + 1) & mask;
    }
  }
}

/** Numbers per slot of the exact-key table: cell index + 1, ci, lac, packed radio/mcc/mnc. */
const EXACT_STRIDE = 4;
const RMM_FIELD = 2 ** 21;
/** packedRmm of an mcc or mnc too large to pack: the slot's key is then checked against the columns. */
const RMM_UNPACKED = -1;

/**
 * Radio, mcc and mnc as one exact number when mcc and mnc are below 2^21 (always, for real codes). The radio
 * counts from 1, so that the number is never a small integer: GSM's were, the other radios' not, and V8 threw
 * away code compiled for the one kind when the other came (deopt "not a Smi").
 */
function packedRmm(r: number, mcc: number, mnc: number): number {
  return mcc < RMM_FIELD && mnc < RMM_FIELD ? ((r + 1) * RMM_FIELD + mcc) * RMM_FIELD + mnc : RMM_UNPACKED;
}

/** The 16-bit CI of a UMTS cell id (no %: on a number above 2^31 V8 computes it as a float remainder, slowly). */
function shortCi(ci: number): number {
  return ci - Math.floor(ci / UMTS_CI_MOD) * UMTS_CI_MOD;
}

/** A 32-bit mix of a cell key (ci may exceed 32 bits: NR's NCI has 36). */
function hash(r: number, mcc: number, mnc: number, lac: number, ci: number): number {
  let h = Math.imul(r + 1, 0x9e3779b1);
  h = Math.imul(h ^ mcc, 0x85ebca6b);
  h = Math.imul(h ^ mnc, 0xc2b2ae35);
  h = Math.imul(h ^ (lac >>> 0) ^ Math.floor(lac / TWO_32), 0x27d4eb2f);
  h = Math.imul(h ^ (ci >>> 0), 0x165667b1);
  h ^= Math.floor(ci / TWO_32);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}

/** OpenCelliD's columns, in the order of its exports; the per-country files (`<mcc>.csv.gz`) have no header. */
export const OPENCELLID_COLUMNS = ['radio', 'mcc', 'net', 'area', 'cell', 'unit', 'lon', 'lat', 'range', 'samples', 'changeable', 'created', 'updated', 'averagesignal'] as const;
/** A catalogue is reserved room for at most this many cells before it is read (it grows past it as needed). */
const CATALOGUE_RESERVE_MAX = 1 << 20;

/** The size of a file, 0 when it cannot be read (readCsvTable says why). */
function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** A first field naming a radio means "no header, standard order" (CDMA included: OpenCelliD lists it). */
const RADIO_NAMES = new Set(['GSM', 'UMTS', 'LTE', 'NR', 'CDMA']);

/** The columns a catalogue row is read from, in this order (range may be missing). */
const CELL_COLUMNS = ['radio', 'mcc', 'net', 'area', 'cell', 'lon', 'lat', 'range'] as const;

/** Indexes of CELL_COLUMNS in a table's columns (-1: absent). */
function cellColumns(columns: Map<string, number>): number[] {
  return CELL_COLUMNS.map((c) => columns.get(c) ?? -1);
}

/** Up to 12 digits after any leading zeros (they write the same number, as in a CDR). */
const UINT = /^0*\d{1,12}$/;
const NUM = /^-?\d+(\.\d+)?$/;

export interface CatalogueLoad {
  catalogue: CellCatalogue;
  rejects: Reject[];
  /** Data rows in the file (blank lines not counted). */
  rows: number;
  headerless: boolean;
  /** Something an operator must know although loading went on (a header-only file: no cell at all). */
  warnings: string[];
}

/** Read the catalogue (with header, or OpenCelliD's headerless per-country layout); bad rows become `invalid_cell` rejects. */
export async function loadCellCatalogue(path: string, rules: Pick<RuleConfig, 'defaultRangeM' | 'maxRangeM'>): Promise<CatalogueLoad> {
  const catalogue = new CellCatalogue();
  const rejects: Reject[] = [];
  const bad = (line: number, raw: string, detail: string) => rejects.push({ source: path, line, reason: 'invalid_cell', detail, raw });
  let col: number[] = [];
  // Room for about the rows the file's size suggests (OpenCelliD rows are 60-90 bytes, gzip ~3x smaller), rather
  // fewer than more: fewer rehashes.
  catalogue.reserve(Math.min(CATALOGUE_RESERVE_MAX, Math.floor((fileBytes(path) * (isGzipFile(path) ? 3 : 1)) / 90)));
  const fast = new FastCatalogueRow(catalogue, rules);
  const info = await readCsvTable(
    path,
    {
      what: 'cell catalogue',
      required: ['radio', 'mcc', 'net', 'area', 'cell', 'lon', 'lat'],
      headerless: { columns: OPENCELLID_COLUMNS, isData: (f) => RADIO_NAMES.has(f[0].toUpperCase()) },
      fastRow: (buf, start, end, width, table) => fast.row(buf, start, end, width, table.columns),
    },
    (row, table) => {
      if (col.length === 0) col = cellColumns(table.columns);
      const f = row.fields;
      if (f === null) {
        bad(row.line, row.raw, row.problem);
        return;
      }
      const radio = f[col[0]].trim() as Radio;
      if (!RADIOS.includes(radio)) {
        bad(row.line, row.raw, `radio "${radio}" is not one of ${RADIOS.join(', ')}`);
        return;
      }
      const mcc = f[col[1]].trim();
      const net = f[col[2]].trim();
      const area = f[col[3]].trim();
      const cell = f[col[4]].trim();
      if (!UINT.test(mcc) || !UINT.test(net) || !UINT.test(area) || !UINT.test(cell)) {
        bad(row.line, row.raw, 'mcc, net, area and cell must be non-negative integers');
        return;
      }
      const lonText = f[col[5]].trim();
      const latText = f[col[6]].trim();
      if (!NUM.test(latText) || !NUM.test(lonText)) {
        bad(row.line, row.raw, 'lat and lon must be decimal numbers');
        return;
      }
      const lat = Number(latText);
      const lon = Number(lonText);
      if (lat < -90 || lat > 90 || lon < -180 || lon > 180) {
        bad(row.line, row.raw, `lat/lon ${lat},${lon} outside WGS84 bounds`);
        return;
      }
      let rangeM = rules.defaultRangeM;
      const r = col[7] >= 0 ? f[col[7]].trim() : '';
      if (r !== '') {
        const n = Number(r);
        if (!Number.isFinite(n) || n < 0) {
          bad(row.line, row.raw, `range "${r}" must be a non-negative number of metres`);
          return;
        }
        if (n > 0) rangeM = n;
      }
      rangeM = Math.min(rangeM, rules.maxRangeM);
      const m = Number(mcc);
      const n = Number(net);
      const a = Number(area);
      const c = Number(cell);
      catalogue.add({ lat, lon, rangeM, radio, mcc: m, mnc: n, lac: a, ci: c });
    },
  );
  const warnings: string[] = [];
  if (info.rows === 0) warnings.push(`the cell catalogue ${path} has a header and no rows: no cell is known, so time_distance finds nothing`);
  else if (catalogue.size === 0) warnings.push(`the cell catalogue ${path} has no usable cell (${rejects.length} rows rejected): time_distance finds nothing`);
  return { catalogue, rejects, rows: info.rows, headerless: info.headerless, warnings };
}

const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
/** Exact powers of ten (up to 10^22 a double holds them exactly). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The catalogue's row in its plain form, read from its bytes (a national catalogue has 10^5..10^6 rows, read
 * before the run can start): a radio name as written, unsigned integers as a CDR's cell codes (cdr-validate.ts
 * radio and uint, the same rules as UINT), decimal coordinates, a range that is
 * empty or a decimal. Any other form, a valid one with spaces or an exponent included, is left to the text
 * path (false), which decides as before; so this path only takes rows that path would take, with the same
 * numbers: a decimal of at most 15 digits is its digits divided by a power of ten, correctly rounded like
 * Number().
 */
class FastCatalogueRow {
  private readonly starts = new Int32Array(64);
  private readonly ends = new Int32Array(64);
  /** Column indexes of radio, mcc, net, area, cell, lon, lat, range (-1: none), once known. */
  private col: number[] | null = null;

  constructor(
    private readonly catalogue: CellCatalogue,
    private readonly rules: Pick<RuleConfig, 'defaultRangeM' | 'maxRangeM'>,
  ) {}

  row(buf: Buffer, start: number, end: number, width: number, columns: Map<string, number>): boolean {
    if (width > this.starts.length) return false;
    const col = (this.col ??= cellColumns(columns));
    const starts = this.starts;
    const ends = this.ends;
    let n = 0;
    let fieldStart = start;
    for (let i = start; i < end; i++) {
      if (buf[i] === COMMA) {
        if (n === width - 1) return false;
        starts[n] = fieldStart;
        ends[n++] = i;
        fieldStart = i + 1;
      }
    }
    starts[n] = fieldStart;
    ends[n++] = end;
    if (n !== width) return false;
    const r = radioBytes(buf, starts[col[0]], ends[col[0]]);
    const mcc = uint(buf, starts[col[1]], ends[col[1]]);
    const mnc = uint(buf, starts[col[2]], ends[col[2]]);
    const lac = uint(buf, starts[col[3]], ends[col[3]]);
    const ci = uint(buf, starts[col[4]], ends[col[4]]);
    const lon = decimalBytes(buf, starts[col[5]], ends[col[5]], true);
    const lat = decimalBytes(buf, starts[col[6]], ends[col[6]], true);
    if (r === null || mcc < 0 || mnc < 0 || lac < 0 || ci < 0 || Number.isNaN(lon) || Number.isNaN(lat)) return false;
    if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return false;
    let rangeM = this.rules.defaultRangeM;
    const c = col[7];
    if (c >= 0 && ends[c] > starts[c]) {
      const m = decimalBytes(buf, starts[c], ends[c], false);
      if (Number.isNaN(m)) return false;
      if (m > 0) rangeM = m;
    }
    rangeM = Math.min(rangeM, this.rules.maxRangeM);
    this.catalogue.add({ lat, lon, rangeM, radio: r, mcc, mnc, lac, ci });
    return true;
  }
}

/**
 * A decimal as NUM accepts it (`-?digits(.digits)?`, the sign only when `signed`) with at most 15 digits
 * after leading zeros, or NaN (any other text, to be read by the text path).
 */
function decimalBytes(b: Buffer, s: number, e: number, signed: boolean): number {
  const negative = signed && s < e && b[s] === MINUS;
  if (negative) s++;
  let v = 0;
  let digits = 0;
  let intDigits = 0;
  let fraction = -1;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === DOT) {
      if (fraction >= 0 || intDigits === 0 || i === e - 1) return NaN;
      fraction = 0;
      continue;
    }
    const d = c - ZERO;
    if (d < 0 || d > 9) return NaN;
    if (fraction >= 0) fraction++;
    else intDigits++;
    if (v !== 0 || d !== 0) digits++;
    v = v * 10 + d;
  }
  if (intDigits === 0 || digits > 15) return NaN;
  const x = fraction > 0 ? v / POW10[fraction] : v;
  return negative ? -x : x;
}
