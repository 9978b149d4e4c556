import type { ExemptionLookup } from '../domain/lookups.js';
import type { Reject } from '../domain/types.js';
import { readCsvTable } from './csv-table.js';

interface Listed {
  imsis: Set<string>;
  msisdns: Set<string>;
}

/** MSISDNs compare as digits: a leading + is ignored. */
export function msisdnDigits(msisdn: string): string {
  return msisdn.charCodeAt(0) === 43 ? msisdn.slice(1) : msisdn;
}

/**
 * Art. 3.32, 24, 25: IMEIs proven factory-programmed, linked to the IMSI and/or MSISDN active on them.
 * Keyed by the 14-digit IMEI key.
 */
export class ExceptionList implements ExemptionLookup {
  constructor(private readonly byKey: Map<string, Listed>) {
    let n = 0;
    for (const [k, l] of byKey) {
      n += l.imsis.size + l.msisdns.size;
      this.keys.add(Number(k));
    }
    this.size = n;
  }

  /** Numeric IMEI keys on the list, for the hot path's pre-check. */
  private readonly keys = new Set<number>();

  /** One IMEI key on the list (numeric), or undefined for an empty list: for a JIT warm-up. */
  someKeyNumber(): number | undefined {
    for (const k of this.keys) return k;
    return undefined;
  }

  /** Is this IMEI key on the list at all? */
  hasKey(imeiKey: string): boolean {
    return this.byKey.has(imeiKey);
  }

  /** Same as hasKey, by the numeric key of Cdr.key (no string hashing per CDR). */
  hasKeyNumber(key: number): boolean {
    return this.keys.has(key);
  }

  /** A CDR is exempt when its IMEI key is listed with its IMSI, or with its MSISDN. */
  isExempt(imeiKey: string, imsi: string, msisdn: string): boolean {
    const l = this.byKey.get(imeiKey);
    if (!l) return false;
    return l.imsis.has(imsi) || (msisdn !== '' && l.msisdns.has(msisdnDigits(msisdn)));
  }

  listsImsi(imeiKey: string, imsi: string): boolean {
    return this.byKey.get(imeiKey)?.imsis.has(imsi) ?? false;
  }

  /** Number of listed IMEI-IMSI and IMEI-MSISDN pairs. */
  readonly size: number;

  static empty(): ExceptionList {
    return new ExceptionList(new Map());
  }
}

const IMEI = /^\d{14,16}$/;
const IMSI = /^\d{6,15}$/;
const MSISDN = /^\+?\d{6,15}$/;

/** Read the exception list; bad rows become `invalid_exception` rejects (with their physical line numbers). */
export async function loadExceptionList(path: string): Promise<{ list: ExceptionList; rejects: Reject[] }> {
  const byKey = new Map<string, Listed>();
  const rejects: Reject[] = [];
  const bad = (line: number, raw: string, detail: string) => rejects.push({ source: path, line, reason: 'invalid_exception', detail, raw });
  let col: number[] = [];
  await readCsvTable(path, { what: 'exception list', required: ['imei', 'imsi', 'msisdn'] }, (row, table) => {
    if (col.length === 0) col = ['imei', 'imsi', 'msisdn'].map((c) => table.columns.get(c)!);
    const f = row.fields;
    if (f === null) {
      bad(row.line, row.raw, row.problem);
      return;
    }
    const imei = f[col[0]].trim();
    const imsi = f[col[1]].trim();
    const msisdn = f[col[2]].trim();
    if (!IMEI.test(imei) || /^0{14}/.test(imei)) {
      bad(row.line, row.raw, `imei "${imei}" must have 14, 15 or 16 digits and a non-zero 14-digit key`);
      return;
    }
    if (imsi === '' && msisdn === '') {
      bad(row.line, row.raw, 'imsi and msisdn are both empty (one is needed)');
      return;
    }
    if (imsi !== '' && !IMSI.test(imsi)) {
      bad(row.line, row.raw, `imsi "${imsi}" must have 6 to 15 digits`);
      return;
    }
    if (msisdn !== '' && !MSISDN.test(msisdn)) {
      bad(row.line, row.raw, `msisdn "${msisdn}" must be 6 to 15 digits with an optional leading +`);
      return;
    }
    const key = imei.slice(0, 14);
    let l = byKey.get(key);
    if (!l) byKey.set(key, (l = { imsis: new Set(), msisdns: new Set() }));
    if (imsi) l.imsis.add(imsi);
    if (msisdn) l.msisdns.add(msisdnDigits(msisdn));
  });
  return { list: new ExceptionList(byKey), rejects };
}
