// An OpenCelliD-shaped per-country export (`<mcc>.csv.gz` as people download it), for tests: no header row,
// the 14 documented columns in order, `unit` -1, ranges up to 200 km, UMTS `cell` as the 28-bit UTRAN id
// (RNC x 65536 + CI), LTE's as the 28-bit ECI, NR's as the 36-bit NCI, a few CDMA rows and blank lines.
// Deterministic for a seed; planted cells are written where the caller asks.
import { gzipSync } from 'node:zlib';

export const OPENCELLID_COLUMNS = ['radio', 'mcc', 'net', 'area', 'cell', 'unit', 'lon', 'lat', 'range', 'samples', 'changeable', 'created', 'updated', 'averageSignal'];

export interface ExportCell {
  radio: 'GSM' | 'UMTS' | 'LTE' | 'NR' | 'CDMA';
  mcc: number;
  net: number;
  area: number;
  cell: number;
  lon: number;
  lat: number;
  range: number;
}

export interface ExportOptions {
  cells: number;
  mcc?: number;
  seed?: number;
  /** Every n-th written line is followed by a blank line (0 = none). */
  blankEvery?: number;
  /** Share of CDMA rows (default 0.002). */
  cdmaShare?: number;
  /** Rows written verbatim before the generated ones, each a full 14-column line or a cell. */
  planted?: ExportCell[];
}

/** mulberry32 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function exportLine(c: ExportCell, r: () => number = Math.random): string {
  const created = 1_400_000_000 + Math.floor(r() * 300_000_000);
  const updated = created + Math.floor(r() * 50_000_000);
  const samples = 1 + Math.floor(r() * 400);
  return `${c.radio},${c.mcc},${c.net},${c.area},${c.cell},-1,${c.lon.toFixed(6)},${c.lat.toFixed(6)},${c.range},${samples},1,${created},${updated},0`;
}

/** Generate the export's text (not gzipped) and the cells it holds (CDMA rows included, blank lines not). */
export function generateExport(opts: ExportOptions): { text: string; cells: ExportCell[] } {
  const r = rng(opts.seed ?? 1);
  const mcc = opts.mcc ?? 716;
  const cdmaShare = opts.cdmaShare ?? 0.002;
  const cells: ExportCell[] = [...(opts.planted ?? [])];
  const lines: string[] = cells.map((c) => exportLine(c, r));
  for (let i = 0; i < opts.cells; i++) {
    const x = r();
    const net = [6, 10, 17, 7][Math.floor(r() * 4)];
    // Peru's bounding box, roughly.
    const lat = -18 + r() * 18;
    const lon = -81 + r() * 12;
    const range = r() < 0.05 ? 10_000 + Math.floor(r() * 190_000) : 100 + Math.floor(r() * 5000);
    let c: ExportCell;
    if (x < cdmaShare) c = { radio: 'CDMA', mcc, net, area: Math.floor(r() * 65535), cell: Math.floor(r() * 65535), lon, lat, range };
    else if (x < 0.25) c = { radio: 'GSM', mcc, net, area: 1 + Math.floor(r() * 65534), cell: Math.floor(r() * 65536), lon, lat, range };
    else if (x < 0.55) {
      // 28-bit UTRAN cell id: RNC id (12 bits) x 65536 + CI.
      const rnc = 1 + Math.floor(r() * 4095);
      c = { radio: 'UMTS', mcc, net, area: 1 + Math.floor(r() * 2000), cell: rnc * 65536 + Math.floor(r() * 65536), lon, lat, range };
    } else if (x < 0.9) {
      const enb = Math.floor(r() * (1 << 20));
      c = { radio: 'LTE', mcc, net, area: 1 + Math.floor(r() * 65534), cell: enb * 256 + Math.floor(r() * 256), lon, lat, range };
    } else {
      // 36-bit NCI.
      c = { radio: 'NR', mcc, net, area: 1 + Math.floor(r() * 16_000_000), cell: Math.floor(r() * 2 ** 36), lon, lat, range };
    }
    cells.push(c);
    lines.push(exportLine(c, r));
  }
  const every = opts.blankEvery ?? 0;
  const out: string[] = [];
  lines.forEach((l, i) => {
    out.push(l);
    if (every > 0 && (i + 1) % every === 0) out.push('');
  });
  return { text: out.join('\n') + '\n', cells };
}

export function gzipExport(text: string): Buffer {
  return gzipSync(Buffer.from(text));
}
