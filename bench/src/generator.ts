// The benchmark's data generator: CDRs of subscribers moving through their day over the Peruvian cell
// catalogue, with planted clones, look-alikes that must not fire, exception rows, invalid rows, duplicate
// deliveries and late rows, plus the ground truth beside them.
//
// Memory does not grow with the number of rows: phase 1 generates one device at a time and appends its rows
// to time-bucket files (by arrival time); phase 2 sorts one bucket at a time and writes the CSV files.
// Arrival = start + jitter (<= 200 s), so every valid row is within SPEC's 600 s lateness bound.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { once } from 'node:events';
import { CITIES, FLIGHTS, ROAD_TRIPS, cityByName } from './cities.js';
import { buildCatalogue, type Catalogue, type Cell, type Site } from './catalogue.js';
import { haversineKm } from './geo.js';
import { imeiKey, imsi as imsiOf, msisdnDigits, reported } from './ids.js';
import { referenceFindings, type RefCdr, type RuleName } from './reference.js';
import { Rng, hash32 } from './rng.js';
import { TimeFmt, formatTime } from './timefmt.js';
import { CRITERIA_CLONE_KINDS, CRITERIA_LOOKALIKE_KINDS, makeCriteriaSpecial, type CriteriaKind, type TruthKeyFinding } from './criteria-scenarios.js';
import { tacDbCsv } from './tac-models.js';

export interface GenOptions {
  /** Target number of CDR rows (the result is within a few percent). */
  rows: number;
  /** Active devices (IMEI keys of ordinary subscribers); default rows / 20. */
  devices?: number;
  seed: number;
  out: string;
  gzip?: boolean;
  /** Length of the generated span of event time (h); below 24 a whole day is squeezed into it. */
  hours?: number;
  /** Local midnight the span starts at. */
  start?: string;
  /** Planted clones per device (each clone kind gets this share, at least minPerKind). */
  cloneRate?: number;
  /** Look-alikes per device (each kind). */
  lookalikeRate?: number;
  minPerKind?: number;
  /** Invalid rows per row. */
  invalidRate?: number;
  /** Duplicate deliveries per row. */
  duplicateRate?: number;
  /** Late rows per row. */
  lateRate?: number;
  /** Rows per CSV file. */
  rowsPerFile?: number;
  /** Largest delay of a row's arrival behind its start (s); must stay below the 600 s lateness bound. */
  disorderS?: number;
  /** Urban cell sites in the catalogue. */
  sites?: number;
  /** Print progress on stderr. */
  progress?: boolean;
  /**
   * Dense-device profile: this share of the ordinary devices are smartphones of heavy data users, with
   * DENSE_FACTOR times the CDRs of a plain device (the extra ones data sessions). 0 (default) leaves the data
   * as without the option; with it the default device count is rows / 25, so that an active IMEI holds about
   * four CDRs in the matching window.
   */
  dense?: number;
  /**
   * Also plant the scenarios of the Art. 22(c) criteria (shared IMEIs, cross-generation and invented-TAC clones)
   * and their look-alikes (bench/src/criteria-scenarios.ts). Off by default: the Art. 22 data set stays as it was.
   */
  extraCriteria?: boolean;
  /** Generator version (set by resolveOptions): a cached data set of another version is regenerated. */
  version?: number;
}

/** Bump when the same options would produce different data. */
export const GENERATOR_VERSION = 6;

export const CDR_REASONS = [
  'missing_field',
  'invalid_record_id',
  'invalid_imei',
  'invalid_imsi',
  'invalid_msisdn',
  'invalid_time',
  'invalid_duration',
  'invalid_event_type',
  'invalid_cell',
  'malformed_row',
] as const;

export const CLONE_KINDS = ['clone_sim', 'clone_td', 'clone_both', 'clone_three', 'clone_imeisv', 'factory_dup'] as const;
export const LOOKALIKE_KINDS = ['sim_swap', 'swap_after_flight', 'resale', 'dual_sim', 'unknown_far'] as const;
export type SpecialKind = (typeof CLONE_KINDS)[number] | (typeof LOOKALIKE_KINDS)[number] | CriteriaKind;

const CANON = ['record_id', 'event_type', 'imei', 'imsi', 'msisdn', 'start_time', 'duration_s', 'radio', 'mcc', 'mnc', 'lac', 'ci'] as const;
/** Header layouts; file k uses LAYOUTS[k % 3] (column order is free in SPEC; `note` is an extra column). */
const LAYOUTS: readonly string[][] = [
  [...CANON],
  ['start_time', 'imei', 'imsi', 'msisdn', 'record_id', 'event_type', 'duration_s', 'radio', 'mcc', 'mnc', 'lac', 'ci', 'note'],
  ['imsi', 'record_id', 'imei', 'event_type', 'radio', 'mcc', 'mnc', 'lac', 'ci', 'start_time', 'duration_s', 'msisdn'],
];
const NOTES = ['', '', '', 'ok', 'roaming, national', 'tag "x"', 'a,b,"c"', ''];
/** A quoted note spanning two physical lines (RFC 4180): later line numbers must count physical lines. */
const MULTILINE_NOTE = 'two\nlines';

type EventType = 'voice_mo' | 'voice_mt' | 'sms_mo' | 'sms_mt' | 'data';

export interface GRow {
  rid: string;
  ev: EventType;
  imei: string;
  imsi: string;
  msisdn: string;
  startMs: number;
  durS: number;
  fmt: TimeFmt;
  cell: Cell;
}

export interface Person {
  i: number;
  role: number;
  imei: string;
  imsi: string;
  msisdn: string;
  city: number;
  home: Site;
  work: Site;
  errand: Site;
  /** Optional trip on the first day. */
  trip?: { kind: 'road'; road: number; reverse: boolean; depF: number; durF: number; dest: number; hotel: Site } | { kind: 'flight'; dest: number; depF: number; airF: number; hotel: Site };
  leaveF: number;
  arriveF: number;
  leaveWorkF: number;
  errandEndF: number;
  worker: boolean;
}

export interface TruthFinding {
  imei: string;
  imsis: [string, string];
  rule: RuleName;
}

export interface TruthSpecial {
  kind: SpecialKind;
  imeis: string[];
  imsis: string[];
  exempt_imsis: string[];
  findings: { imsis: [string, string]; rule: RuleName }[];
  /** Findings of the Art. 22(c) criteria this device must give (extraCriteria data sets). */
  keyFindings?: TruthKeyFinding[];
}

export interface Truth {
  generator: Required<Omit<GenOptions, 'progress'>>;
  files: string[];
  cells: string;
  exceptions: string;
  rows: { lines: number; valid: number; unknownCell: number; rejects: Record<string, number> };
  devices: number;
  imeiKeys: number;
  findings: TruthFinding[];
  candidates: { imei: string; imsis: string[]; exempt_imsis: string[] }[];
  exemptPairs: { imei: string; imsi: string }[];
  specials: TruthSpecial[];
  /** Findings of the Art. 22(c) criteria (shared_imei, inconsistent_rat, unknown_tac), when planted. */
  keyFindings: TruthKeyFinding[];
  /** The TAC database written beside the data (every TAC of the data but the invented ones). */
  tacDb: string;
}

const DAY_MS = 86400000;

export function resolveOptions(o: GenOptions): Required<Omit<GenOptions, 'progress'>> {
  const rows = Math.max(1000, Math.round(o.rows));
  return {
    rows,
    devices: Math.max(100, Math.round(o.devices ?? rows / ((o.dense ?? 0) > 0 ? 25 : 20))),
    seed: o.seed,
    out: o.out,
    gzip: o.gzip ?? false,
    hours: o.hours ?? 24,
    start: o.start ?? '2026-11-23T00:00:00-05:00',
    cloneRate: o.cloneRate ?? 0.002,
    lookalikeRate: o.lookalikeRate ?? 0.002,
    minPerKind: o.minPerKind ?? 8,
    invalidRate: o.invalidRate ?? 0.003,
    duplicateRate: o.duplicateRate ?? 0.002,
    lateRate: o.lateRate ?? 0.0005,
    rowsPerFile: o.rowsPerFile ?? Math.min(2_000_000, Math.max(25_000, Math.ceil(rows / 4))),
    disorderS: Math.min(560, Math.max(0, o.disorderS ?? 200)),
    sites: o.sites ?? 2500,
    dense: Math.min(1, Math.max(0, o.dense ?? 0)),
    extraCriteria: o.extraCriteria ?? false,
    version: GENERATOR_VERSION,
  };
}

/** Generates the data set into `out` and returns its truth (also written to `out/truth.json`). */
export async function generate(options: GenOptions): Promise<Truth> {
  const opt = resolveOptions(options);
  const t0 = Date.now();
  const log = (m: string) => options.progress && process.stderr.write(`[gen ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
  fs.mkdirSync(opt.out, { recursive: true });
  const cdrDir = path.join(opt.out, 'cdrs');
  fs.rmSync(cdrDir, { recursive: true, force: true });
  fs.mkdirSync(cdrDir, { recursive: true });
  const tmpDir = path.join(opt.out, '.buckets');
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir, { recursive: true });

  const cat = buildCatalogue(opt.seed, opt.sites);
  const cellsPath = path.join(opt.out, 'cells.csv');
  fs.writeFileSync(cellsPath, cat.lines.join('\n') + '\n');
  fs.writeFileSync(path.join(opt.out, 'tac-db.csv'), tacDbCsv());
  const rejectsPath = path.join(opt.out, 'truth-rejects.ndjson');
  const rejectsFd = fs.openSync(rejectsPath, 'w');
  let rejectBuf: string[] = [];
  const rejectCounts: Record<string, number> = {};
  const addReject = (source: string, line: number, reason: string) => {
    rejectCounts[reason] = (rejectCounts[reason] ?? 0) + 1;
    rejectBuf.push(JSON.stringify({ source, line, reason }));
    if (rejectBuf.length >= 2000) {
      fs.writeSync(rejectsFd, rejectBuf.join('\n') + '\n');
      rejectBuf = [];
    }
  };
  for (const r of cat.rejects) addReject('cells.csv', r.line, r.reason);

  const spanStart = Date.parse(opt.start);
  if (!Number.isFinite(spanStart)) throw new Error(`bad --start ${opt.start}`);
  const spanMs = opt.hours * 3600000;
  const days = opt.hours >= 24 ? Math.floor(opt.hours / 24) : 1;
  const dayLenMs = opt.hours >= 24 ? DAY_MS : spanMs;
  const ctx: Ctx = { opt, cat, spanStart, spanMs, days, dayLenMs, unknownCache: new Map(), radioCache: new Map() };

  // Bucket files by arrival time, each expected to hold ~100-200k rows.
  const perBucket = Math.max(100_000, Math.ceil(opt.rows / 500));
  const bucketMs = Math.max(60_000, Math.floor((spanMs * perBucket) / opt.rows));
  const nBuckets = Math.ceil((spanMs + 2 * 3600000) / bucketMs);
  const buckets = new BucketWriter(tmpDir, nBuckets, bucketMs, spanStart);

  // Which device indices are special (planted clones or look-alikes), spread evenly over the index range.
  const specialsPlan: SpecialKind[] = [];
  const specialsAllowed = opt.hours >= 12;
  if (specialsAllowed) {
    const nClone = Math.max(opt.minPerKind, Math.round(opt.cloneRate * opt.devices));
    const nLook = Math.max(opt.minPerKind, Math.round(opt.lookalikeRate * opt.devices));
    const maxK = Math.max(nClone, nLook);
    for (let k = 0; k < maxK; k++) {
      for (const kind of CLONE_KINDS) if (k < nClone) specialsPlan.push(kind);
      for (const kind of LOOKALIKE_KINDS) if (k < nLook) specialsPlan.push(kind);
      if (opt.extraCriteria) {
        for (const kind of CRITERIA_CLONE_KINDS) if (k < nClone) specialsPlan.push(kind);
        for (const kind of CRITERIA_LOOKALIKE_KINDS) if (k < nLook) specialsPlan.push(kind);
      }
    }
    if (specialsPlan.length > opt.devices / 4) specialsPlan.length = Math.floor(opt.devices / 4);
  }
  const specialAt = new Map<number, SpecialKind>();
  specialsPlan.forEach((kind, j) => specialAt.set(Math.floor(((j + 0.5) * opt.devices) / specialsPlan.length), kind));

  const rowsPerDevice = opt.rows / opt.devices / (1 + opt.invalidRate + opt.duplicateRate + opt.lateRate);
  // With dense devices a plain device has fewer CDRs, so that the total stays near `rows` (planted devices keep theirs).
  const plainRowsPerDevice = rowsPerDevice / denseRowShare(opt.dense);
  let seq = 0;
  let validRows = 0;
  let unknownCellRows = 0;
  let imeiKeys = 0;
  const findings: TruthFinding[] = [];
  const keyFindings: TruthKeyFinding[] = [];
  const specials: TruthSpecial[] = [];
  const exceptionRows: string[][] = [];
  const exemptPairs: { imei: string; imsi: string }[] = [];

  const disorderMs = opt.disorderS * 1000 + 1;
  // A duplicate arrives after its original but still inside the lateness bound (with 30 s of margin).
  const dupDelayMaxMs = Math.min(300000, 570000 - opt.disorderS * 1000);
  const emitValid = (r: GRow) => {
    const arrival = r.startMs + jitter(r, disorderMs);
    buckets.add(arrival, `${arrival}\t${seq++}\tV\t\t${r.startMs}\t${rowFields(r).join('\t')}`);
    validRows++;
    if (!r.cell.known) unknownCellRows++;
  };

  for (let i = 0; i < opt.devices; i++) {
    const kind = specialAt.get(i);
    if (kind) {
      const sp = (CLONE_KINDS as readonly string[]).includes(kind) || (LOOKALIKE_KINDS as readonly string[]).includes(kind) ? makeSpecial(ctx, i, kind, rowsPerDevice) : makeCriteriaSpecial(ctx, i, kind as CriteriaKind, rowsPerDevice);
      for (const f of sp.truth.keyFindings ?? []) keyFindings.push(f);
      for (const r of sp.rows) emitValid(r);
      imeiKeys += sp.truth.imeis.length;
      for (const f of sp.truth.findings) findings.push({ imei: sp.truth.imeis[0].slice(0, 14), imsis: f.imsis, rule: f.rule });
      for (const e of sp.exceptions) exceptionRows.push(e);
      for (const s of sp.truth.exempt_imsis) exemptPairs.push({ imei: sp.truth.imeis[0].slice(0, 14), imsi: s });
      specials.push(sp.truth);
      continue;
    }
    const rng = Rng.of(opt.seed, 'dev', i);
    const p = makePerson(ctx, rng, i, 0, imeiKey(i));
    const activity = rng.logNormal(1 / Math.exp(0.18), 0.6);
    const n = Math.max(1, rng.poisson(plainRowsPerDevice * activity));
    const rows = opt.dense > 0 ? withDenseRows(ctx, opt.seed, opt.dense, p, n, lifeRows(ctx, rng, p, n)) : lifeRows(ctx, rng, p, n);
    if (rows.length) imeiKeys++;
    const recycled = new Set<string>();
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      // Switches recycle record_ids: an id accepted more than windowS + allowedLatenessS (7,800 s) of event
      // time earlier is no duplicate, so this row must be accepted.
      if (k > 0 && rng.chance(opt.duplicateRate / 4)) {
        for (let j = k - 1; j >= 0; j--) {
          if (rows[j].startMs <= r.startMs - 3 * 3600000) {
            // Each id is recycled once at most: a second reuse could fall within 7,800 s of the first
            // reuse, which would make it a real duplicate.
            if (!recycled.has(rows[j].rid)) {
              recycled.add(rows[j].rid);
              r.rid = rows[j].rid;
            }
            break;
          }
        }
      }
      emitValid(r);
      // Traps around ordinary rows: invalid copies and late copies carry a foreign IMSI, so an engine that
      // accepted them would report a false clone; duplicates are the same delivery again.
      if (rng.chance(opt.invalidRate)) {
        const reason = CDR_REASONS[rng.int(0, CDR_REASONS.length - 1)];
        const bad = breakRow(rng, { ...r, rid: `x${i.toString(36)}-${k}`, imsi: imsiOf(i, 9) }, reason);
        const arrival = r.startMs + jitter(r, disorderMs) + 1;
        buckets.add(arrival, `${arrival}\t${seq++}\tI\t${reason}\t${r.startMs}\t${bad.join('\t')}`);
      }
      if (rng.chance(opt.duplicateRate)) {
        const arrival = r.startMs + jitter(r, disorderMs) + rng.int(1000, dupDelayMaxMs);
        buckets.add(arrival, `${arrival}\t${seq++}\tD\tduplicate_record\t${r.startMs}\t${rowFields(r).join('\t')}`);
      }
      if (rng.chance(opt.lateRate) && r.durS >= 10) {
        const late: GRow = { ...r, rid: `l${i.toString(36)}-${k}`, imsi: imsiOf(i, 9) };
        const arrival = r.startMs + rng.int(1500000, 3000000);
        buckets.add(arrival, `${arrival}\t${seq++}\tL\tlate_record\t${r.startMs}\t${rowFields(late).join('\t')}`);
      }
    }
    if (i % 200000 === 0 && i > 0) log(`${i} devices, ${seq} rows`);
  }
  buckets.flushAll();
  log(`phase 1 done: ${seq} rows in ${nBuckets} buckets`);

  // Exception list: rows for the planted exemptions, harmless rows for ordinary devices, rows for IMEIs not
  // in the data, and bad rows.
  const exRng = Rng.of(opt.seed, 'exceptions');
  for (let k = 0; k < Math.min(200, opt.devices / 10); k++) {
    const i = exRng.int(0, opt.devices - 1);
    if (specialAt.has(i)) continue;
    exceptionRows.push([reported(imeiKey(i), 'luhn'), imsiOf(i, 0), '']);
  }
  for (let k = 0; k < 50; k++) exceptionRows.push([reported(imeiKey(k, 'other'), 'luhn'), imsiOf(k, 8), exRng.chance(0.5) ? '+' + msisdnDigits(k, 8) : '']);
  for (let k = exceptionRows.length - 1; k > 0; k--) {
    const j = exRng.int(0, k);
    [exceptionRows[k], exceptionRows[j]] = [exceptionRows[j], exceptionRows[k]];
  }
  const exLines = ['imei,imsi,msisdn', ...exceptionRows.map((r) => r.join(','))];
  const badEx = [`${reported(imeiKey(1, 'other'), 'luhn')},,`, `12AB5678901234,${imsiOf(1, 8)},`, `1234567,${imsiOf(2, 8)},`, `${reported(imeiKey(3, 'other'), 'luhn')},71606abc,`, `${reported(imeiKey(4, 'other'), 'luhn')},,12-34`];
  for (const b of badEx) {
    const at = exRng.int(1, exLines.length);
    exLines.splice(at, 0, b);
  }
  exLines.forEach((l, idx) => {
    if (badEx.includes(l)) addReject('exceptions.csv', idx + 1, 'invalid_exception');
  });
  const exceptionsPath = path.join(opt.out, 'exceptions.csv');
  fs.writeFileSync(exceptionsPath, exLines.join('\n') + '\n');

  // Phase 2: bucket by bucket, sort by arrival and write the CSV files.
  const writer = new CsvFiles(cdrDir, opt.gzip, opt.rowsPerFile, opt.seed);
  let maxValidStart = -Infinity;
  let lines = 0;
  for (let b = 0; b < nBuckets; b++) {
    const entries = buckets.read(b);
    if (!entries) continue;
    entries.sort((x, y) => x.arrival - y.arrival || x.seq - y.seq);
    for (const e of entries) {
      const parts = e.line.split('\t');
      const kind = parts[2];
      const reason = parts[3];
      const startMs = Number(parts[4]);
      const fields = parts.slice(5);
      if (kind === 'L') {
        // Only a row that is really behind the newest accepted event time by more than the bound (with a
        // minute of margin) is written; otherwise it is left out.
        if (maxValidStart - startMs <= 660000) continue;
      }
      const { file, line } = await writer.write(fields, e.seq, kind === 'V');
      lines++;
      if (kind === 'V') maxValidStart = Math.max(maxValidStart, startMs);
      else addReject(`cdrs/${file}`, line, reason);
    }
    if (b % 50 === 0) log(`phase 2: bucket ${b}/${nBuckets}, ${lines} lines`);
  }
  const files = await writer.close();
  buckets.remove();
  if (rejectBuf.length) fs.writeSync(rejectsFd, rejectBuf.join('\n') + '\n');
  fs.closeSync(rejectsFd);

  const truth: Truth = {
    generator: opt,
    files: files.map((f) => `cdrs/${f}`),
    cells: 'cells.csv',
    exceptions: 'exceptions.csv',
    rows: { lines, valid: validRows, unknownCell: unknownCellRows, rejects: rejectCounts },
    devices: opt.devices,
    imeiKeys,
    findings,
    candidates: candidatesOf(findings, exemptPairs),
    exemptPairs,
    specials,
    keyFindings,
    tacDb: 'tac-db.csv',
  };
  fs.writeFileSync(path.join(opt.out, 'truth.json'), JSON.stringify(truth, null, 1));
  log(`done: ${lines} lines, ${findings.length} truth findings`);
  return truth;
}

/** Block candidates implied by findings and exemptions (SPEC Output 2, final state per IMEI). */
export function candidatesOf(findings: TruthFinding[], exempt: { imei: string; imsi: string }[]): Truth['candidates'] {
  const ex = new Set(exempt.map((e) => `${e.imei}|${e.imsi}`));
  const by = new Map<string, Set<string>>();
  for (const f of findings) {
    let s = by.get(f.imei);
    if (!s) by.set(f.imei, (s = new Set()));
    s.add(f.imsis[0]).add(f.imsis[1]);
  }
  const out: Truth['candidates'] = [];
  for (const [imei, s] of by) {
    const all = [...s].sort();
    const imsis = all.filter((x) => !ex.has(`${imei}|${x}`));
    if (imsis.length) out.push({ imei, imsis, exempt_imsis: all.filter((x) => ex.has(`${imei}|${x}`)) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

export interface Ctx {
  opt: Required<Omit<GenOptions, 'progress'>>;
  cat: Catalogue;
  spanStart: number;
  spanMs: number;
  days: number;
  dayLenMs: number;
  unknownCache: Map<number, Cell[]>;
  /** Known cells of a city by radio set (criteria scenarios). */
  radioCache: Map<string, Cell[]>;
}

function jitter(r: GRow, maxMs: number): number {
  return hash32(r.rid, 'j') % maxMs;
}

function rowFields(r: GRow): string[] {
  const c = r.cell;
  return [r.rid, r.ev, r.imei, r.imsi, r.msisdn, formatTime(r.startMs, r.fmt), String(r.durS), c.radio, String(c.mcc), String(c.mnc), String(c.lac), String(c.ci)];
}

/** Cells of a city that are not in the catalogue at all. */
function unknownCells(ctx: Ctx, city: number): Cell[] {
  let l = ctx.unknownCache.get(city);
  if (!l) {
    const c = CITIES[city];
    l = [0, 1, 2].map((k) => ({ radio: 'LTE' as const, mcc: 716, mnc: 6, lac: 7700 + city, ci: 990000000 + city * 10 + k, lat: c.lat, lon: c.lon, rangeRaw: '', rangeM: 1000, known: false, id: `LTE:716:6:${7700 + city}:${990000000 + city * 10 + k}` }));
    ctx.unknownCache.set(city, l);
  }
  return l;
}

export function pickCity(rng: Rng): number {
  return rng.weighted(CITIES.map((c) => c.weight));
}

export function makePerson(ctx: Ctx, rng: Rng, i: number, role: number, key: string, city = pickCity(rng), msisdnStyle?: 'plain' | 'plus' | 'local' | 'empty'): Person {
  const sites = ctx.cat.citySites[city];
  const style = rng.next();
  const imei = style < 0.7 ? reported(key, 'luhn') : style < 0.85 ? reported(key, 'zero') : reported(key, 'sv', rng.int(1, 99));
  const ms = msisdnStyle ?? (['plain', 'plain', 'plain', 'plus', 'plus', 'local', 'empty'] as const)[rng.int(0, 6)];
  const digits = msisdnDigits(i, role);
  const msisdn = ms === 'plain' ? digits : ms === 'plus' ? '+' + digits : ms === 'local' ? digits.slice(2) : '';
  const worker = rng.chance(0.65);
  const leaveF = (6.5 + rng.range(0, 2.5)) / 24;
  const arriveF = leaveF + rng.range(0.3, 1.5) / 24;
  const leaveWorkF = (16.5 + rng.range(0, 3)) / 24;
  const errandEndF = leaveWorkF + rng.range(0.5, 2.5) / 24;
  const p: Person = {
    i,
    role,
    imei,
    imsi: imsiOf(i, role, rng.weighted([38, 35, 20, 7])),
    msisdn,
    city,
    home: rng.pick(sites),
    work: rng.pick(sites),
    errand: rng.pick(sites),
    leaveF,
    arriveF,
    leaveWorkF,
    errandEndF,
    worker,
  };
  const u = rng.next();
  if (u < 0.03) {
    // road trip on the first day
    const candidates = ROAD_TRIPS.map((t, idx) => ({ t, idx })).filter(({ t }) => t[0] === CITIES[city].name || t[1] === CITIES[city].name);
    if (candidates.length) {
      const { t, idx } = rng.pick(candidates);
      const reverse = t[1] === CITIES[city].name;
      const a = cityByName(t[0]);
      const b = cityByName(t[1]);
      const km = haversineKm(a.lat, a.lon, b.lat, b.lon);
      const dest = CITIES.indexOf(reverse ? a : b);
      p.trip = { kind: 'road', road: idx, reverse, depF: (8 + rng.range(0, 5)) / 24, durF: km / 70 / 24, dest, hotel: rng.pick(ctx.cat.citySites[dest]) };
    }
  } else if (u < 0.05 && CITIES[city].name === 'Lima') {
    const f = rng.pick(FLIGHTS);
    const dest = CITIES.indexOf(cityByName(f.to));
    p.trip = { kind: 'flight', dest, depF: (9 + rng.range(0, 7)) / 24, airF: f.minutes / 60 / 24, hotel: rng.pick(ctx.cat.citySites[dest]) };
  }
  return p;
}

/** Where the person is at day fraction f of day d; null while in the air. */
function siteAt(ctx: Ctx, rng: Rng, p: Person, d: number, f: number): Site | null {
  const t = p.trip;
  if (t && (d > 0 || f >= t.depF - 0.5 / 24)) {
    if (t.kind === 'road') {
      if (d === 0 && f < t.depF) return p.home;
      if (d === 0 && f < t.depF + t.durF) {
        const road = ctx.cat.roadSites[t.road];
        let x = (f - t.depF) / t.durF;
        if (t.reverse) x = 1 - x;
        return road[Math.min(road.length - 1, Math.floor(x * road.length))];
      }
      return t.hotel;
    }
    const airport = ctx.cat.airportSites[p.city]!;
    if (d === 0 && f < t.depF) return airport;
    if (d === 0 && f < t.depF + t.airF) return null;
    if (d === 0 && f < t.depF + t.airF + 0.4 / 24) return ctx.cat.airportSites[t.dest]!;
    return t.hotel;
  }
  if (f < p.leaveF) return p.home;
  if (f < p.arriveF) return rng.pick(ctx.cat.citySites[p.city]); // on the way
  if (f < p.leaveWorkF) return p.worker ? p.work : rng.chance(0.3) ? p.errand : p.home;
  if (f < p.errandEndF) return p.errand;
  return p.home;
}

function pickEvent(rng: Rng): EventType {
  const u = rng.next();
  return u < 0.5 ? 'data' : u < 0.65 ? 'voice_mo' : u < 0.8 ? 'voice_mt' : u < 0.9 ? 'sms_mo' : 'sms_mt';
}

function pickDuration(rng: Rng, ev: EventType): number {
  if (ev === 'sms_mo' || ev === 'sms_mt') return rng.chance(0.03) ? rng.int(1, 3) : 0;
  if (ev === 'voice_mo' || ev === 'voice_mt') return Math.min(5400, Math.max(1, Math.round(rng.logNormal(80, 0.9))));
  const u = rng.next();
  if (u < 0.5) return Math.max(1, Math.round(rng.logNormal(120, 0.8)));
  if (u < 0.95) return Math.min(14400, Math.round(rng.logNormal(900, 0.7)));
  return rng.int(3600, 8 * 3600); // long data session
}

function pickFmt(rng: Rng): { fmt: TimeFmt; ms: boolean } {
  const u = rng.next();
  if (u < 0.35) return { fmt: TimeFmt.Z, ms: false };
  if (u < 0.45) return { fmt: TimeFmt.Z_MS, ms: true };
  if (u < 0.6) return { fmt: TimeFmt.OFFSET_LIMA, ms: false };
  if (u < 0.64) return { fmt: rng.pick([TimeFmt.OFFSET_UTC, TimeFmt.OFFSET_MINUS3, TimeFmt.OFFSET_PLUS1]), ms: false };
  if (u < 0.72) return { fmt: TimeFmt.LOCAL_T, ms: false };
  if (u < 0.85) return { fmt: TimeFmt.LOCAL_SPACE, ms: false };
  return { fmt: TimeFmt.EPOCH_MS, ms: true };
}

/** One CDR of `p` at time t (ms) on a cell of `site`. */
export function makeRow(ctx: Ctx, rng: Rng, p: Person, seqNo: number, t: number, site: Site, ev = pickEvent(rng), durS = pickDuration(rng, ev)): GRow {
  const { fmt, ms } = pickFmt(rng);
  const startMs = ms ? t + rng.int(0, 999) : t;
  let cell = rng.pick(site.cells);
  if (rng.chance(0.003)) cell = rng.pick(unknownCells(ctx, p.city));
  if (durS > 0 && rng.chance(0.05)) durS = durS + rng.int(1, 9) / 10; // decimals are allowed
  return { rid: `c${p.i.toString(36)}r${p.role}-${seqNo}`, ev, imei: p.imei, imsi: p.imsi, msisdn: p.msisdn, startMs, durS, fmt, cell };
}

/** An ordinary day (or days) of a subscriber: n CDRs, optionally only within [fromMs, toMs). */
export function lifeRows(ctx: Ctx, rng: Rng, p: Person, n: number, fromMs = -Infinity, toMs = Infinity, seq0 = 0): GRow[] {
  const rows: GRow[] = [];
  let tries = 0;
  while (rows.length < n && tries < n * 4) {
    tries++;
    const d = rng.int(0, ctx.days - 1);
    const f = rng.chance(0.85) ? rng.range(6.5, 23.5) / 24 : rng.next();
    const t = ctx.spanStart + d * ctx.dayLenMs + Math.floor((f * ctx.dayLenMs) / 1000) * 1000;
    if (t < fromMs || t >= toMs || t >= ctx.spanStart + ctx.spanMs) continue;
    const site = siteAt(ctx, rng, p, d, f);
    if (!site) continue; // in the air: no CDRs
    rows.push(makeRow(ctx, rng, p, seq0 + rows.length, t, site));
  }
  rows.sort((a, b) => a.startMs - b.startMs);
  return rows;
}

// ------------------------------------------------------------------------------------ dense-device profile

/** A dense device has this many times the CDRs of a plain one. */
const DENSE_FACTOR = 8;

/** Rows of the average device relative to a plain one when `share` of the devices are dense. */
function denseRowShare(share: number): number {
  return 1 + share * (DENSE_FACTOR - 1);
}

/**
 * A heavy data user's extra CDRs: data sessions through the same day (own random stream, so the plain rows and
 * every other device stay as they are). Returns all rows of the device in start order.
 */
function withDenseRows(ctx: Ctx, seed: number, share: number, p: Person, n: number, rows: GRow[]): GRow[] {
  const rng = Rng.of(seed, 'dense', p.i);
  if (!rng.chance(share)) return rows;
  const extra = n * (DENSE_FACTOR - 1);
  let tries = 0;
  const all = rows.slice();
  while (all.length < rows.length + extra && tries < extra * 4) {
    tries++;
    const d = rng.int(0, ctx.days - 1);
    const f = rng.chance(0.9) ? rng.range(6.5, 23.5) / 24 : rng.next();
    const t = ctx.spanStart + d * ctx.dayLenMs + Math.floor((f * ctx.dayLenMs) / 1000) * 1000;
    if (t >= ctx.spanStart + ctx.spanMs) continue;
    const site = siteAt(ctx, rng, p, d, f);
    if (!site) continue;
    // Short and medium data sessions (apps syncing, browsing), ids after the plain rows'.
    const durS = rng.chance(0.7) ? Math.max(1, Math.round(rng.logNormal(60, 0.8))) : Math.min(3600, Math.round(rng.logNormal(600, 0.6)));
    all.push(makeRow(ctx, rng, p, 1_000_000 + all.length, t, site, 'data', durS));
  }
  all.sort((a, b) => a.startMs - b.startMs);
  return all;
}

// --------------------------------------------------------------------------------------------- invalid rows

function breakRow(rng: Rng, r: GRow, reason: (typeof CDR_REASONS)[number]): string[] {
  // A rejected row has no other effect: some carry a start a day ahead, which must not move event time
  // (else the rows after it would turn late).
  const f = rowFields(reason !== 'invalid_time' && rng.chance(0.2) ? { ...r, startMs: r.startMs + DAY_MS } : r);
  const set = (name: (typeof CANON)[number], v: string) => (f[CANON.indexOf(name)] = v);
  switch (reason) {
    case 'missing_field': {
      const u = rng.next();
      set(u < 0.7 ? 'record_id' : u < 0.85 ? 'imei' : 'imsi', '');
      break;
    }
    case 'invalid_record_id':
      set('record_id', r.rid + '-' + 'z'.repeat(65 - r.rid.length + rng.int(0, 10)));
      break;
    case 'invalid_imei':
      set('imei', rng.pick([r.imei.slice(0, 13), r.imei.slice(0, 14) + '123', '00000000000000' + '0', r.imei.slice(0, 5) + 'A' + r.imei.slice(6, 15)]));
      break;
    case 'invalid_imsi':
      set('imsi', rng.pick(['71606', '7160612345678901', '71606ABC4567890']));
      break;
    case 'invalid_msisdn':
      set('msisdn', rng.pick(['12345', '+51 987654321', '5198765432112345', '51-987654321']));
      break;
    case 'invalid_time':
      set('start_time', rng.pick(['2026-02-30T10:00:00Z', '2026-11-23T24:00:00-05:00', '2026-11-23 25:10:00', '2026-13-01T00:00:00Z', '23/11/2026 10:00', 'tomorrow']));
      break;
    case 'invalid_duration':
      set('duration_s', rng.pick(['-5', '86400.5', '90000', 'abc']));
      break;
    case 'invalid_event_type':
      set('event_type', rng.pick(['video', 'mms', 'ussd']));
      break;
    case 'invalid_cell': {
      const u = rng.int(0, 3);
      if (u === 0) set('radio', 'WCDMA');
      else if (u === 1) set('radio', '5G');
      else if (u === 2) set('mcc', '71a');
      else set('ci', '-3');
      break;
    }
    case 'malformed_row':
      return [rng.chance(0.5) ? `${r.rid},${r.ev},${r.imei}` : `corrupted row ${r.rid}`];
  }
  return f;
}

// ------------------------------------------------------------------------------------------------ specials

export interface Special {
  rows: GRow[];
  exceptions: string[][];
  truth: TruthSpecial;
}

export function farCity(rng: Rng, from: number, minKm: number): number {
  const a = CITIES[from];
  const options = CITIES.map((c, idx) => ({ c, idx })).filter(({ c }) => haversineKm(a.lat, a.lon, c.lat, c.lon) >= minKm);
  return rng.pick(options).idx;
}

export function toRef(r: GRow): RefCdr {
  return { imeiKey: r.imei.slice(0, 14), imsi: r.imsi, startMs: r.startMs, endMs: r.startMs + Math.round(r.durS * 1000), cell: r.cell.known ? { lat: r.cell.lat, lon: r.cell.lon, rangeM: r.cell.rangeM } : null };
}

/** A long CDR of `rows` (>= minS seconds, not an SMS), adding a data session if there is none. */
function longRow(ctx: Ctx, rng: Rng, p: Person, rows: GRow[], minS: number): GRow {
  const long = rows.filter((r) => r.durS >= minS && r.startMs + r.durS * 1000 < ctx.spanStart + ctx.spanMs);
  if (long.length) return rng.pick(long);
  const t = ctx.spanStart + Math.floor((rng.range(9, 20) / 24) * ctx.dayLenMs / 1000) * 1000;
  const r = makeRow(ctx, rng, p, 1e6 + 900, t, p.home, 'data', rng.int(minS, minS * 4));
  r.cell = rng.pick(p.home.cells);
  rows.push(r);
  return r;
}

/** A CDR of q that starts inside `host` and overlaps it by 20 s or more, on `site`. */
function overlapping(ctx: Ctx, rng: Rng, q: Person, host: GRow, site: Site, seqNo: number): GRow {
  const offS = rng.int(5, Math.max(6, Math.floor(host.durS / 2)));
  const ev = rng.pick(['voice_mo', 'voice_mt', 'data'] as const);
  const r = makeRow(ctx, rng, q, seqNo, host.startMs - (host.startMs % 1000) + offS * 1000, site, ev, rng.int(40, 400));
  r.cell = site === undefined ? host.cell : rng.pick(site.cells);
  return r;
}

/** A short CDR of q a few minutes before or after `near` (not overlapping it), on `site`. */
function minutesApart(ctx: Ctx, rng: Rng, q: Person, near: GRow, site: Site, seqNo: number, minS: number, maxS: number): GRow {
  const ev = rng.pick(['sms_mo', 'sms_mt', 'voice_mo'] as const);
  const dur = ev === 'voice_mo' ? rng.int(10, 60) : 0;
  const after = rng.chance(0.5);
  const gap = rng.int(minS, maxS) * 1000;
  const t = after ? near.startMs + Math.ceil(near.durS) * 1000 + gap : near.startMs - gap - dur * 1000;
  const r = makeRow(ctx, rng, q, seqNo, t - (t % 1000), site, ev, dur);
  r.cell = rng.pick(site.cells);
  return r;
}

function makeSpecial(ctx: Ctx, i: number, kind: SpecialKind, rowsPerDevice: number): Special {
  for (let attempt = 0; attempt < 60; attempt++) {
    const rng = Rng.of(ctx.opt.seed, 'special', i, attempt);
    const sp = buildSpecial(ctx, rng, i, kind, Math.max(6, Math.round(rowsPerDevice)));
    if (!sp) continue;
    const inSpan = sp.rows.every((r) => r.startMs >= ctx.spanStart && r.startMs < ctx.spanStart + ctx.spanMs);
    if (!inSpan) continue;
    const { findings, ambiguous } = referenceFindings(sp.rows.map(toRef));
    if (ambiguous) continue;
    const isClone = (CLONE_KINDS as readonly string[]).includes(kind);
    if (!isClone && findings.length) continue;
    if (isClone && !sp.intended.every((want) => findings.some((f) => f.rule === want.rule && f.imsis.includes(want.a) && f.imsis.includes(want.b)))) continue;
    sp.truth.findings = findings.map((f) => ({ imsis: f.imsis, rule: f.rule }));
    const inFindings = new Set(findings.flatMap((f) => f.imsis));
    sp.truth.exempt_imsis = sp.truth.exempt_imsis.filter((x) => inFindings.has(x));
    return sp;
  }
  throw new Error(`could not build special ${kind} for device ${i}`);
}

interface Built extends Special {
  intended: { a: string; b: string; rule: RuleName }[];
}

function buildSpecial(ctx: Ctx, rng: Rng, i: number, kind: SpecialKind, n: number): Built | null {
  const key = imeiKey(i);
  const A = makePerson(ctx, rng, i, 0, key, undefined, rng.chance(0.5) ? 'plain' : 'plus');
  delete A.trip;
  const rows: GRow[] = [];
  const exceptions: string[][] = [];
  const exempt: string[] = [];
  const intended: Built['intended'] = [];
  const truth: TruthSpecial = { kind, imeis: [A.imei], imsis: [A.imsi], exempt_imsis: exempt, findings: [] };
  const spanEnd = ctx.spanStart + ctx.spanMs;
  // Clones: sometimes the owner is on the exception list, by IMSI or by MSISDN (as digits, '+' either way).
  const exemptOwner = (p: Person, how: number) => {
    if (how < 0.25 || (how < 0.4 && !p.msisdn)) exceptions.push([rng.chance(0.5) ? key : p.imei.slice(0, 15), p.imsi, '']);
    else if (how < 0.4) {
      const digits = p.msisdn.replace('+', '');
      exceptions.push([p.imei.slice(0, 15), '', p.msisdn.startsWith('+') ? digits : '+' + digits]);
    } else return;
    exempt.push(p.imsi);
  };
  const clone = (role: number, city: number): Person => {
    const q = makePerson(ctx, rng, i, role, key, city, rng.chance(0.8) ? 'plain' : 'empty');
    delete q.trip;
    q.imei = A.imei;
    truth.imsis.push(q.imsi);
    return q;
  };

  switch (kind) {
    case 'clone_sim':
    case 'clone_both':
    case 'clone_td':
    case 'clone_imeisv': {
      rows.push(...lifeRows(ctx, rng, A, n));
      const far = kind === 'clone_td' || kind === 'clone_both' || (kind === 'clone_imeisv' && rng.chance(0.5));
      const B = clone(1, far ? farCity(rng, A.city, 300) : A.city);
      if (kind === 'clone_imeisv') {
        A.imei = reported(key, 'luhn');
        B.imei = reported(key, 'sv', rng.int(10, 99));
        for (const r of rows) r.imei = rng.chance(0.5) ? A.imei : reported(key, 'sv', 1);
        truth.imeis = [A.imei, B.imei];
      }
      const overlap = kind === 'clone_sim' || kind === 'clone_both' || (kind === 'clone_imeisv' && !far);
      if (overlap) {
        const host = longRow(ctx, rng, A, rows, 120);
        const site = far ? B.home : { lat: 0, lon: 0, cells: [host.cell] };
        rows.push(overlapping(ctx, rng, B, host, site, 0));
        intended.push({ a: A.imsi, b: B.imsi, rule: 'simultaneity' });
        if (far) intended.push({ a: A.imsi, b: B.imsi, rule: 'time_distance' });
      } else {
        const near = rng.pick(rows.filter((r) => r.cell.known));
        if (!near) return null;
        rows.push(minutesApart(ctx, rng, B, near, B.home, 0, 60, 900));
        intended.push({ a: A.imsi, b: B.imsi, rule: 'time_distance' });
      }
      // A few more CDRs of the clone around its own home.
      const extra = rng.int(0, 3);
      rows.push(...lifeRows(ctx, rng, B, extra, ctx.spanStart, spanEnd, 10));
      exemptOwner(A, rng.next());
      break;
    }
    case 'clone_three': {
      rows.push(...lifeRows(ctx, rng, A, n));
      const B = clone(1, A.city);
      const C = clone(2, farCity(rng, A.city, 300));
      const host = longRow(ctx, rng, A, rows, 120);
      rows.push(overlapping(ctx, rng, B, host, { lat: 0, lon: 0, cells: [host.cell] }, 0));
      const near = rng.pick(rows.filter((r) => r.cell.known && r.imsi === A.imsi));
      if (!near) return null;
      rows.push(minutesApart(ctx, rng, C, near, C.home, 0, 60, 900));
      intended.push({ a: A.imsi, b: B.imsi, rule: 'simultaneity' }, { a: A.imsi, b: C.imsi, rule: 'time_distance' });
      const how = rng.next();
      if (how < 0.15) {
        exemptOwner(A, 0);
        exemptOwner(B, 0.3);
      } else exemptOwner(A, how);
      break;
    }
    case 'factory_dup': {
      // Factory-programmed duplicate IMEI: several unrelated subscribers, all on the exception list.
      const k = rng.int(2, 3);
      const people = [A];
      for (let r = 1; r < k; r++) people.push(clone(r, pickCity(rng)));
      for (const p of people) rows.push(...lifeRows(ctx, rng, p, n, -Infinity, Infinity, 0));
      const host = longRow(ctx, rng, A, rows, 120);
      const B = people[1];
      rows.push(overlapping(ctx, rng, B, host, B.city === A.city ? { lat: 0, lon: 0, cells: [host.cell] } : B.home, 1e6 + 500));
      intended.push({ a: A.imsi, b: B.imsi, rule: 'simultaneity' });
      for (const p of people) exemptOwner(p, rng.chance(0.5) ? 0 : 0.3);
      break;
    }
    case 'sim_swap':
    case 'swap_after_flight':
    case 'resale': {
      // The old IMSI stops; a new one starts on the same phone, never overlapping and never too fast.
      const swapF = rng.range(11, 15) / 24;
      const swapMs = ctx.spanStart + Math.floor((swapF * ctx.dayLenMs) / 1000) * 1000;
      let before: GRow[];
      let city = A.city;
      let firstSite: Site;
      let gapMs: number;
      if (kind === 'swap_after_flight') {
        A.city = CITIES.findIndex((c) => c.name === 'Lima');
        A.home = rng.pick(ctx.cat.citySites[A.city]);
        A.work = rng.pick(ctx.cat.citySites[A.city]);
        A.errand = rng.pick(ctx.cat.citySites[A.city]);
        before = lifeRows(ctx, rng, A, n, -Infinity, swapMs - 3600000);
        const flight = rng.pick(FLIGHTS);
        const gate = makeRow(ctx, rng, A, 1e6 + 800, swapMs - 1800000, ctx.cat.airportSites[A.city]!, 'voice_mo', rng.int(20, 120));
        gate.cell = rng.pick(ctx.cat.airportSites[A.city]!.cells);
        before.push(gate);
        city = CITIES.findIndex((c) => c.name === flight.to);
        firstSite = ctx.cat.airportSites[city]!;
        // landing + baggage + a new SIM at the airport kiosk: flight time + 15..25 min after the gate call ends
        gapMs = (flight.minutes + rng.int(15, 25)) * 60000;
        const lastEnd = gate.startMs + Math.ceil(gate.durS) * 1000;
        const B = clone(1, city);
        B.home = rng.pick(ctx.cat.citySites[city]);
        const first = makeRow(ctx, rng, B, 0, lastEnd + gapMs, firstSite, 'sms_mt', 0);
        first.cell = rng.pick(firstSite.cells);
        rows.push(...before, first, ...lifeRows(ctx, rng, B, n, first.startMs + 3600000, spanEnd, 1));
        break;
      }
      before = lifeRows(ctx, rng, A, n, -Infinity, swapMs);
      if (!before.length) return null;
      const lastEnd = Math.max(...before.map((r) => r.startMs + Math.ceil(r.durS) * 1000));
      gapMs = kind === 'resale' ? (ctx.days > 2 ? rng.int(2, ctx.days - 1) * DAY_MS : rng.int(4, 6) * 3600000) : rng.int(15, 60) * 60000;
      const B = clone(1, kind === 'resale' ? pickCity(rng) : city);
      firstSite = kind === 'resale' ? B.home : A.home;
      const startB = lastEnd + gapMs;
      const first = makeRow(ctx, rng, B, 0, startB - (startB % 1000), firstSite, 'voice_mo', rng.int(20, 200));
      first.cell = rng.pick(firstSite.cells);
      rows.push(...before, first, ...lifeRows(ctx, rng, B, n, first.startMs + Math.ceil(first.durS) * 1000 + 1800000, spanEnd, 1));
      break;
    }
    case 'dual_sim': {
      // One person, one phone with two IMEIs (two keys), one SIM in each slot: busy at the same time.
      rows.push(...lifeRows(ctx, rng, A, n));
      const B = makePerson(ctx, rng, i, 1, imeiKey(i, 'second'), A.city);
      B.imei = reported(imeiKey(i, 'second'), 'luhn');
      Object.assign(B, { home: A.home, work: A.work, errand: A.errand, leaveF: A.leaveF, arriveF: A.arriveF, leaveWorkF: A.leaveWorkF, errandEndF: A.errandEndF, worker: A.worker, trip: undefined });
      rows.push(...lifeRows(ctx, rng, B, n, -Infinity, Infinity, 0));
      const host = longRow(ctx, rng, A, rows, 120);
      rows.push(overlapping(ctx, rng, B, host, A.home, 1e6 + 700));
      truth.imeis.push(B.imei);
      truth.imsis.push(B.imsi);
      break;
    }
    case 'unknown_far': {
      // A clone in reality, but the far CDRs are on cells the catalogue lacks (or rejects): the rules cannot
      // tell, so no finding. Also never overlapping.
      rows.push(...lifeRows(ctx, rng, A, n));
      const known = rows.filter((r) => r.cell.known);
      if (!known.length) return null;
      const city = farCity(rng, A.city, 300);
      const B = clone(1, city);
      const cells = rng.chance(0.5) ? unknownCells(ctx, city) : ctx.cat.badCells[city];
      const busy = rows.map((r) => [r.startMs - 5000, r.startMs + Math.ceil(r.durS) * 1000 + 5000]);
      const want = rng.int(1, 3);
      for (let k = 0, tries = 0; k < want && tries < 200; tries++) {
        const r = minutesApart(ctx, rng, B, rng.pick(known), B.home, k, 60, 900);
        const end = r.startMs + Math.ceil(r.durS) * 1000;
        if (busy.some(([s, e]) => r.startMs < e && end > s)) continue;
        r.cell = rng.pick(cells);
        rows.push(r);
        k++;
      }
      if (rows.every((r) => r.imsi === A.imsi)) return null;
      break;
    }
  }
  rows.sort((a, b) => a.startMs - b.startMs);
  return { rows, exceptions, truth, intended };
}

// ----------------------------------------------------------------------------------------------- file I/O

class BucketWriter {
  private bufs: string[][];
  constructor(
    private dir: string,
    n: number,
    private bucketMs: number,
    private origin: number,
  ) {
    this.bufs = Array.from({ length: n }, () => []);
  }

  private file(b: number): string {
    return path.join(this.dir, `b${String(b).padStart(5, '0')}.tsv`);
  }

  add(arrival: number, line: string): void {
    const b = Math.min(this.bufs.length - 1, Math.max(0, Math.floor((arrival - this.origin) / this.bucketMs)));
    const buf = this.bufs[b];
    buf.push(line);
    if (buf.length >= 512) this.flush(b);
  }

  private flush(b: number): void {
    if (!this.bufs[b].length) return;
    fs.appendFileSync(this.file(b), this.bufs[b].join('\n') + '\n');
    this.bufs[b] = [];
  }

  flushAll(): void {
    for (let b = 0; b < this.bufs.length; b++) this.flush(b);
  }

  read(b: number): { arrival: number; seq: number; line: string }[] | null {
    const f = this.file(b);
    if (!fs.existsSync(f)) return null;
    const text = fs.readFileSync(f, 'utf8');
    const out: { arrival: number; seq: number; line: string }[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      const t1 = line.indexOf('\t');
      const t2 = line.indexOf('\t', t1 + 1);
      out.push({ arrival: Number(line.slice(0, t1)), seq: Number(line.slice(t1 + 1, t2)), line });
    }
    fs.rmSync(f);
    return out;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The CDR files: rotates every rowsPerFile rows; each file has its own layout, line ending and quoting. */
class CsvFiles {
  private k = -1;
  private line = 0;
  private rowsInFile = 0;
  private names: string[] = [];
  private sink: NodeJS.WritableStream | null = null;
  private fileStream: fs.WriteStream | null = null;
  private pending: string[] = [];
  private layout: string[] = [];
  private eol = '\n';

  constructor(
    private dir: string,
    private gzip: boolean,
    private rowsPerFile: number,
    private seed: number,
  ) {}

  private async open(): Promise<void> {
    await this.closeFile();
    this.k++;
    const name = `cdrs-${String(this.k).padStart(4, '0')}.csv${this.gzip ? '.gz' : ''}`;
    this.names.push(name);
    this.fileStream = fs.createWriteStream(path.join(this.dir, name));
    if (this.gzip) {
      const gz = zlib.createGzip({ level: 6 });
      gz.pipe(this.fileStream);
      this.sink = gz;
    } else this.sink = this.fileStream;
    this.layout = LAYOUTS[this.k % 3];
    this.eol = this.k % 3 === 1 ? '\r\n' : '\n';
    this.pending.push((this.k === 0 ? '\ufeff' : '') + this.layout.join(','));
    this.line = 1;
    this.rowsInFile = 0;
  }

  /** Writes one record; returns the physical line it starts on. Only valid rows may span two lines. */
  async write(fields: string[], seq: number, mayWrap = false): Promise<{ file: string; line: number }> {
    if (this.k < 0 || this.rowsInFile >= this.rowsPerFile) await this.open();
    let text: string;
    if (fields.length === 1) text = fields[0]; // malformed row, written raw
    else {
      const h = hash32(this.seed, seq);
      text = this.layout
        .map((col) => {
          if (col === 'note') return csvField(mayWrap && h % 97 === 0 ? MULTILINE_NOTE : NOTES[h % NOTES.length]);
          const v = fields[CANON.indexOf(col as (typeof CANON)[number])];
          // quote some plain fields too (RFC 4180 allows it)
          if ((col === 'record_id' && (h & 0x1f00) === 0) || (col === 'msisdn' && v.startsWith('+') && (h & 0x300) === 0)) return `"${v}"`;
          return csvField(v);
        })
        .join(',');
    }
    this.pending.push(text);
    const startLine = this.line + 1;
    this.line = startLine;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.line++;
    this.rowsInFile++;
    if (this.pending.length >= 2000) await this.drain();
    return { file: this.names[this.k], line: startLine };
  }

  private async drain(): Promise<void> {
    if (!this.sink || !this.pending.length) return;
    const ok = this.sink.write(this.pending.join(this.eol) + this.eol);
    this.pending = [];
    if (!ok) await once(this.sink, 'drain');
  }

  private async closeFile(): Promise<void> {
    if (!this.sink) return;
    await this.drain();
    const fileStream = this.fileStream!;
    const done = once(fileStream, 'close');
    this.sink.end();
    await done;
    this.sink = null;
  }

  async close(): Promise<string[]> {
    await this.closeFile();
    return this.names;
  }
}
