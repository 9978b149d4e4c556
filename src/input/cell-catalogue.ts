import type { CellLookup } from '../domain/lookups.js';
import type { CellSite, Radio, Reject } from '../domain/types.js';
import { RADIOS } from '../domain/types.js';
import type { RuleConfig } from '../config/schema.js';
import { readCsvTable } from './csv-table.js';

/** The operator's list of base-station sectors, keyed `RADIO:mcc:mnc:lac:ci` (OpenCelliD radio,mcc,net,area,cell). */
export class CellCatalogue implements CellLookup {
  /** ci -> the cells with that ci (rarely more than one); a number key keeps the per-CDR lookup string-free. */
  private readonly byCi = new Map<number, CatalogueCell | CatalogueCell[]>();
  private n = 0;

  constructor(cells: Iterable<CatalogueCell> = []) {
    for (const c of cells) this.add(c);
  }

  private add(c: CatalogueCell): void {
    const cur = this.byCi.get(c.ci);
    if (cur === undefined) {
      this.byCi.set(c.ci, c);
      this.n++;
      return;
    }
    const list = Array.isArray(cur) ? cur : [cur];
    const i = list.findIndex((x) => sameCell(x, c.radio, c.mcc, c.mnc, c.lac));
    // A later row for the same cell replaces an earlier one (the newer survey wins).
    if (i >= 0) list[i] = c;
    else {
      list.push(c);
      this.n++;
    }
    this.byCi.set(c.ci, list.length === 1 ? list[0] : list);
  }

  lookup(radio: Radio, mcc: number, mnc: number, lac: number, ci: number): CellSite | undefined {
    const cur = this.byCi.get(ci);
    if (cur === undefined) return undefined;
    if (!Array.isArray(cur)) return sameCell(cur, radio, mcc, mnc, lac) ? cur : undefined;
    for (let i = 0; i < cur.length; i++) if (sameCell(cur[i], radio, mcc, mnc, lac)) return cur[i];
    return undefined;
  }

  get size(): number {
    return this.n;
  }

  static empty(): CellCatalogue {
    return new CellCatalogue();
  }
}

interface CatalogueCell extends CellSite {
  radio: Radio;
  mcc: number;
  mnc: number;
  lac: number;
  ci: number;
}

function sameCell(c: CatalogueCell, radio: Radio, mcc: number, mnc: number, lac: number): boolean {
  return c.lac === lac && c.mnc === mnc && c.mcc === mcc && c.radio === radio;
}

const UINT = /^\d{1,12}$/;
const NUM = /^-?\d+(\.\d+)?$/;

/** Read the catalogue; bad rows become `invalid_cell` rejects and are left out. */
export async function loadCellCatalogue(
  path: string,
  rules: Pick<RuleConfig, 'defaultRangeM' | 'maxRangeM'>,
): Promise<{ catalogue: CellCatalogue; rejects: Reject[] }> {
  const { rows } = await readCsvTable(path, ['radio', 'mcc', 'net', 'area', 'cell', 'lon', 'lat']);
  const cells: CatalogueCell[] = [];
  const rejects: Reject[] = [];
  const bad = (line: number, raw: string, detail: string) => rejects.push({ source: path, line, reason: 'invalid_cell', detail, raw });
  for (const row of rows) {
    const v = row.values;
    if (!v) {
      bad(row.line, row.raw, 'wrong number of fields');
      continue;
    }
    const radio = v.radio as Radio;
    if (!RADIOS.includes(radio)) {
      bad(row.line, row.raw, `radio "${v.radio}" is not one of ${RADIOS.join(', ')}`);
      continue;
    }
    if (![v.mcc, v.net, v.area, v.cell].every((x) => UINT.test(x ?? ''))) {
      bad(row.line, row.raw, 'mcc, net, area and cell must be non-negative integers');
      continue;
    }
    if (!NUM.test(v.lat ?? '') || !NUM.test(v.lon ?? '')) {
      bad(row.line, row.raw, 'lat and lon must be decimal numbers');
      continue;
    }
    const lat = Number(v.lat);
    const lon = Number(v.lon);
    if (lat < -90 || lat > 90 || lon < -180 || lon > 180) {
      bad(row.line, row.raw, `lat/lon ${lat},${lon} outside WGS84 bounds`);
      continue;
    }
    let rangeM = rules.defaultRangeM;
    const r = (v.range ?? '').trim();
    if (r !== '') {
      const n = Number(r);
      if (!Number.isFinite(n) || n < 0) {
        bad(row.line, row.raw, `range "${r}" must be a non-negative number of metres`);
        continue;
      }
      if (n > 0) rangeM = n;
    }
    rangeM = Math.min(rangeM, rules.maxRangeM);
    const [mcc, mnc, lac, ci] = [v.mcc, v.net, v.area, v.cell].map(Number);
    cells.push({ id: `${radio}:${mcc}:${mnc}:${lac}:${ci}`, lat, lon, rangeM, radio, mcc, mnc, lac, ci });
  }
  return { catalogue: new CellCatalogue(cells), rejects };
}
