import type { CellSite, Radio } from './types.js';
import { RADIOS } from './types.js';

// What the detection core needs of the reference data, and nothing more: the engine depends on these
// narrow interfaces, input/ implements them (input/cell-catalogue.ts, input/exception-list.ts).

/**
 * Where a serving cell is: the cell catalogue, by number (no string per CDR). `undefined` when the catalogue
 * does not have it; AMBIGUOUS_CELL when only a short UMTS key matched and several cells share it.
 */
export interface CellLookup {
  lookup(radio: Radio, mcc: number, mnc: number, lac: number, ci: number): CellSite | undefined;
}

/**
 * SPEC "Cell identity forms": a UMTS CDR whose short key (radio, mcc, net, area, cell mod 65536) more than
 * one catalogue cell shares. Its cell is unknown (never a guess) and it is counted as `ambiguous_cell`.
 */
export const AMBIGUOUS_CELL: CellSite = Object.freeze({ id: 'AMBIGUOUS', lat: NaN, lon: NaN, rangeM: NaN });

/** What a lookup says of a cell without its site (a CDR that is counted but not matched): known, not, ambiguous. */
export const CELL_KNOWN = 0;
export const CELL_UNKNOWN = 1;
export const CELL_AMBIGUOUS = 2;
export type CellStatus = typeof CELL_KNOWN | typeof CELL_UNKNOWN | typeof CELL_AMBIGUOUS;

export function cellStatusOf(site: CellSite | undefined): CellStatus {
  return site === undefined ? CELL_UNKNOWN : site === AMBIGUOUS_CELL ? CELL_AMBIGUOUS : CELL_KNOWN;
}

/** Art. 24-25: which IMEI-IMSI and IMEI-MSISDN pairs are listed as genuine (the exception list). */
export interface ExemptionLookup {
  /** Number of listed pairs; 0 lets the hot path skip every exemption check. */
  readonly size: number;
  /** Is this 14-digit IMEI key on the list at all? */
  hasKey(imeiKey: string): boolean;
  /** Same, by the numeric key of Cdr.key. */
  hasKeyNumber(key: number): boolean;
  /** Is this IMSI listed with the IMEI key? */
  listsImsi(imeiKey: string, imsi: string): boolean;
  /** Is the IMEI key listed with this IMSI, or with this MSISDN (digits; a leading + is ignored)? */
  isExempt(imeiKey: string, imsi: string, msisdn: string): boolean;
}

/** A device model of the TAC database: the radio technologies it supports as a bit set (see radioBit). */
export interface TacModel {
  manufacturer: string;
  model: string;
  /** Bit i set = RADIOS[i] supported. */
  radios: number;
}

/** The TAC database (GSMA's, or the operator's export): the model of an IMEI key's TAC. */
export interface TacLookup {
  readonly size: number;
  /** The model of an IMEI key (14-digit number), or undefined when its TAC (first 8 digits) is not listed. */
  modelOfKey(imeiKey: number): TacModel | undefined;
}

/** Index of each radio in RADIOS (GSM 0, UMTS 1, LTE 2, NR 3). */
export const RADIO_INDEX: Record<Radio, number> = { GSM: 0, UMTS: 1, LTE: 2, NR: 3 };

/** GSM = 1, UMTS = 2, LTE = 4, NR = 8. */
export function radioBit(radio: Radio): number {
  return 1 << RADIO_INDEX[radio];
}

/** The radio names of a bit set, in RADIOS order ("GSM|UMTS"). */
export function radioNames(bits: number): string {
  return RADIOS.filter((r) => (bits & radioBit(r)) !== 0).join('|');
}
