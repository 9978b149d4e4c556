import type { Radio, Reject } from '../domain/types.js';
import { RADIOS } from '../domain/types.js';
import { radioBit, type TacLookup, type TacModel } from '../domain/lookups.js';

export { radioBit, radioNames, type TacModel } from '../domain/lookups.js';
import { readCsvTable } from './csv-table.js';

/**
 * The TAC database (type allocation code -> device model and the radios it supports), what GSMA's TAC
 * database gives an operator. Keyed by the TAC as a number: the first 8 digits of the IMEI key, so the
 * per-CDR lookup makes no string.
 */
export class TacDatabase implements TacLookup {
  constructor(private readonly byTac: Map<number, TacModel>) {}

  /** The model of an IMEI key (14-digit number), or undefined when its TAC is not listed. */
  modelOfKey(imeiKey: number): TacModel | undefined {
    return this.byTac.get(Math.floor(imeiKey / 1_000_000));
  }

  get size(): number {
    return this.byTac.size;
  }

  static empty(): TacDatabase {
    return new TacDatabase(new Map());
  }
}

const TAC = /^\d{8}$/;

/**
 * Read a TAC database CSV with header `tac,manufacturer,model,radios` (`radios` a `|`-list of GSM, UMTS, LTE,
 * NR; extra columns are ignored). A bad row becomes an `invalid_tac` reject and is left out; a later row for
 * the same TAC replaces an earlier one.
 */
export async function loadTacDatabase(path: string): Promise<{ db: TacDatabase; rejects: Reject[] }> {
  const byTac = new Map<number, TacModel>();
  const rejects: Reject[] = [];
  const bad = (line: number, raw: string, detail: string) => rejects.push({ source: path, line, reason: 'invalid_tac', detail, raw });
  const names = ['tac', 'manufacturer', 'model', 'radios'];
  let col: number[] = [];
  await readCsvTable(path, { what: 'TAC database', required: names }, (row, table) => {
    if (col.length === 0) col = names.map((c) => table.columns.get(c)!);
    const f = row.fields;
    if (f === null) {
      bad(row.line, row.raw, row.problem);
      return;
    }
    const tac = f[col[0]].trim();
    if (!TAC.test(tac)) {
      bad(row.line, row.raw, `tac "${tac}" must have exactly 8 digits`);
      return;
    }
    const list = f[col[3]].split('|').map((x) => x.trim().toUpperCase());
    if (list.some((n) => !(RADIOS as readonly string[]).includes(n))) {
      bad(row.line, row.raw, `radios "${f[col[3]]}" must be a |-list of ${RADIOS.join(', ')}`);
      return;
    }
    let radios = 0;
    for (const n of list) radios |= radioBit(n as Radio);
    byTac.set(Number(tac), { manufacturer: f[col[1]].trim(), model: f[col[2]].trim(), radios });
  });
  return { db: new TacDatabase(byTac), rejects };
}
