import type { CellSite, Radio, Reject } from '../domain/types.js';
import { RADIOS } from '../domain/types.js';
import type { RuleConfig } from '../config/schema.js';
import { readCsvTable } from './csv-table.js';

/** The operator's list of base-station sectors, keyed `RADIO:mcc:mnc:lac:ci` (OpenCelliD radio,mcc,net,area,cell). */
export class CellCatalogue {
  constructor(private readonly cells: Map<string, CellSite>) {}
  get(cellId: string): CellSite | undefined {
    return this.cells.get(cellId);
  }
  get size(): number {
    return this.cells.size;
  }
  static empty(): CellCatalogue {
    return new CellCatalogue(new Map());
  }
}

const UINT = /^\d{1,12}$/;
const NUM = /^-?\d+(\.\d+)?$/;

/** Read the catalogue; bad rows become `invalid_cell` rejects and are left out. */
export async function loadCellCatalogue(
  path: string,
  rules: Pick<RuleConfig, 'defaultRangeM' | 'maxRangeM'>,
): Promise<{ catalogue: CellCatalogue; rejects: Reject[] }> {
  const { rows } = await readCsvTable(path, ['radio', 'mcc', 'net', 'area', 'cell', 'lon', 'lat']);
  const cells = new Map<string, CellSite>();
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
    const id = `${radio}:${Number(v.mcc)}:${Number(v.net)}:${Number(v.area)}:${Number(v.cell)}`;
    // A later row for the same cell replaces an earlier one (the newer survey wins).
    cells.set(id, { id, lat, lon, rangeM });
  }
  return { catalogue: new CellCatalogue(cells), rejects };
}
