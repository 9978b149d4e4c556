import { parseConfig, type Config } from '../../src/config/schema.js';
import type { Cdr, Radio } from '../../src/domain/types.js';
import { MSISDN_PLUS } from '../../src/domain/identity.js';
import { idHashString } from '../../src/domain/identity.js';
import { Engine, type EngineOptions } from '../../src/engine/engine.js';
import { CellCatalogue } from '../../src/input/cell-catalogue.js';
import { ExceptionList } from '../../src/input/exception-list.js';
import { radioBit, type TacLookup } from '../../src/domain/lookups.js';
import { TacDatabase } from '../../src/input/tac-db.js';

/** A TAC database: TAC (8 digits) -> the radios its model supports. */
export function tacDb(models: Record<string, Radio[]>): TacLookup {
  return new TacDatabase(new Map(Object.entries(models).map(([tac, radios]) => [Number(tac), { manufacturer: 'M', model: tac, radios: radios.reduce((b, r) => b | radioBit(r), 0) }])));
}

export const LIMA = { radio: 'LTE' as Radio, mcc: 716, mnc: 10, lac: 100, ci: 1 };
export const LIMA2 = { radio: 'LTE' as Radio, mcc: 716, mnc: 10, lac: 100, ci: 2 }; // ~0.5 km from LIMA
export const AREQUIPA = { radio: 'LTE' as Radio, mcc: 716, mnc: 10, lac: 200, ci: 3 }; // ~766 km from LIMA
export const CALLAO = { radio: 'LTE' as Radio, mcc: 716, mnc: 10, lac: 100, ci: 4 }; // ~12 km from LIMA
export const UNKNOWN = { radio: 'LTE' as Radio, mcc: 716, mnc: 10, lac: 999, ci: 999 };

export function testCells(): CellCatalogue {
  const mk = (c: typeof LIMA, lat: number, lon: number, rangeM: number) => ({ ...c, id: `${c.radio}:${c.mcc}:${c.mnc}:${c.lac}:${c.ci}`, lat, lon, rangeM });
  return new CellCatalogue([
    mk(LIMA, -12.05, -77.03, 500),
    mk(LIMA2, -12.0545, -77.03, 500),
    mk(AREQUIPA, -16.4, -71.54, 500),
    mk(CALLAO, -12.05, -77.14, 500),
  ]);
}

export function config(over: Record<string, unknown> = {}): Config {
  const r = parseConfig(over);
  if (!r.ok) throw new Error(r.message);
  return r.config;
}

const T0 = Date.parse('2026-03-01T10:00:00Z');

export interface CdrSpec {
  id: string;
  imei?: string;
  imsi: string;
  msisdn?: string;
  /** seconds after 2026-03-01T10:00:00Z */
  at: number;
  dur?: number;
  cell?: typeof LIMA;
  radio?: Radio;
}

export function cdr(s: CdrSpec): Cdr {
  const imei = s.imei ?? '356938035643809';
  const cell = s.cell ?? LIMA;
  const msisdn = s.msisdn ?? '';
  const plus = msisdn.startsWith('+');
  const digits = plus ? msisdn.slice(1) : msisdn;
  return {
    recordId: s.id,
    idHash: idHashString(s.id),
    eventType: 'voice_mo',
    key: Number(imei.slice(0, 14)),
    imeiLen: imei.length,
    imeiSuffix: imei.length > 14 ? Number(imei.slice(14)) : 0,
    imsi: Number(s.imsi),
    imsiLen: s.imsi.length,
    msisdn: digits === '' ? 0 : Number(digits),
    msisdnLen: digits === '' ? 0 : digits.length | (plus ? MSISDN_PLUS : 0),
    startMs: T0 + s.at * 1000,
    endMs: T0 + (s.at + (s.dur ?? 0)) * 1000,
    ...cell,
    ...(s.radio ? { radio: s.radio } : {}),
  };
}

/** Run CDRs through a fresh engine; returns findings, candidates and the per-CDR offer results. */
export function run(
  cdrs: Cdr[],
  opts: { config?: Record<string, unknown>; exceptions?: ExceptionList; engine?: EngineOptions; tacs?: TacLookup } = {},
) {
  const e = new Engine(config(opts.config), { cells: testCells(), exceptions: opts.exceptions ?? ExceptionList.empty(), tacs: opts.tacs }, opts.engine);
  const offers = cdrs.map((c) => e.offer({ ...c }, 0));
  e.drain(0);
  const out = e.take();
  return { ...out, offers, engine: e };
}

export function exceptions(rows: Array<{ imei: string; imsi?: string; msisdn?: string }>): ExceptionList {
  const m = new Map<string, { imsis: Set<string>; msisdns: Set<string> }>();
  for (const r of rows) {
    const k = r.imei.slice(0, 14);
    if (!m.has(k)) m.set(k, { imsis: new Set(), msisdns: new Set() });
    if (r.imsi) m.get(k)!.imsis.add(r.imsi);
    if (r.msisdn) m.get(k)!.msisdns.add(r.msisdn.replace(/^\+/, ''));
  }
  return new ExceptionList(m);
}

/** Findings as comparable triples. */
export function triples(findings: Array<{ imei: string; imsi_a: string; imsi_b: string; rule: string }>): string[] {
  return findings.map((f) => `${f.imei}|${[f.imsi_a, f.imsi_b].sort().join('+')}|${f.rule}`).sort();
}
