import type { Finding } from '../domain/types.js';
import type { EvidenceCell } from './evidence.js';
import { baseMapSvg, boundsOfCircles, fitProjection, padBounds, peruBounds, type LonLat } from './geo.js';
import { circlePath } from './geo.js';
import { esc, fmtNum, ruleColour } from './html.js';

/**
 * The explain page's map: the evidence cells with their coverage circles, one line per time-distance
 * finding labelled with its effective distance and implied speed, over Peru's outline; an inset of the
 * whole country shows where the view is.
 */

const MAP_W = 760;
const HEIGHT = 540;
/** The inset of the whole country sits beside the map, never over evidence. */
const INSET_W = 150;
const WIDTH = MAP_W + INSET_W + 12;

/** A cell's coverage radius and where it came from. */
export interface CellRange {
  rangeM: number;
  /** 'catalogue' when read from the cell catalogue, 'assumed' when it is the configured default. */
  source: 'catalogue' | 'assumed';
}

export function cellLabel(i: number): string {
  return `C${i + 1}`;
}

function niceKm(km: number): number {
  const p = 10 ** Math.floor(Math.log10(km));
  for (const m of [5, 2, 1]) if (m * p <= km) return m * p;
  return p;
}

export function evidenceMapSvg(cells: EvidenceCell[], findings: readonly Finding[], ranges: Map<string, CellRange>): string {
  if (cells.length === 0) {
    return '<p class="note">No evidence CDR is on a cell of the catalogue: there is nothing to place on the map.</p>';
  }
  const radiusKm = (id: string) => (ranges.get(id)?.rangeM ?? 0) / 1000;
  const bounds = padBounds(
    boundsOfCircles(cells.map((c) => ({ lon: c.lon, lat: c.lat, radiusKm: radiusKm(c.id) }))),
    0.12,
    0.08,
  );
  const projection = fitProjection(bounds, MAP_W, HEIGHT, 16);
  const xy = (lon: number, lat: number) => projection([lon, lat]) ?? [NaN, NaN];
  const parts: string[] = [`<rect width="${MAP_W}" height="${HEIGHT}" fill="#dfeaf2"/>`, baseMapSvg(projection)];

  for (const c of cells) {
    const r = ranges.get(c.id);
    const d = circlePath(projection, c.lon, c.lat, radiusKm(c.id));
    if (d) {
      const dash = r?.source === 'assumed' ? ' stroke-dasharray="3 3"' : '';
      parts.push(
        `<path class="range" data-cell="${esc(c.id)}" d="${d}" fill="#3d5a80" fill-opacity="0.10" stroke="#3d5a80" stroke-opacity="0.6" stroke-width="1"${dash}/>`,
      );
    }
  }

  // One line per time-distance finding; labels of lines between the same two cells are stacked.
  const perPair = new Map<string, number>();
  for (const f of findings) {
    if (f.rule !== 'time_distance' || f.lat_a === null || f.lon_a === null || f.lat_b === null || f.lon_b === null) continue;
    const [x1, y1] = xy(f.lon_a, f.lat_a);
    const [x2, y2] = xy(f.lon_b, f.lat_b);
    const pair = [f.cell_a, f.cell_b].sort().join('|');
    const k = perPair.get(pair) ?? 0;
    perPair.set(pair, k + 1);
    const speed = f.speed_kmh === null ? '∞ km/h (gap 0)' : `${fmtNum(f.speed_kmh)} km/h`;
    const label = `${fmtNum(f.distance_km, 1)} km · ${speed}`;
    const mx = (x1 + x2) / 2;
    // A short line (nearby cells) gets its label above, clear of the two markers.
    const short = Math.hypot(x2 - x1, y2 - y1) < 60;
    const my = (y1 + y2) / 2 + k * 15 - (short ? 14 : 0);
    const colour = ruleColour('time_distance');
    parts.push(
      `<g class="td-line" data-finding-id="${esc(f.finding_id)}">` +
        `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${colour}" stroke-width="2"/>` +
        `<text x="${mx.toFixed(1)}" y="${(my - 5).toFixed(1)}" font-size="12" text-anchor="middle" fill="${colour}" stroke="#fff" stroke-width="3" paint-order="stroke">${esc(label)}</text>` +
        `<title>${esc(`${f.cell_a} → ${f.cell_b}: ${label}, gap ${f.gap_s} s`)}</title></g>`,
    );
  }

  const placed: [number, number][] = [];
  cells.forEach((c, i) => {
    const [x, y] = xy(c.lon, c.lat);
    // Co-sited or nearby cells: stack their labels instead of printing them over each other.
    const near = placed.filter(([px, py]) => Math.abs(px - x) < 28 && Math.abs(py - y) < 14).length;
    placed.push([x, y]);
    const title = `${cellLabel(i)} ${c.id}\n${c.lat}, ${c.lon}\nIMSIs: ${c.imsis.join(', ')}`;
    parts.push(
      `<g class="cell-marker" data-cell="${esc(c.id)}"><circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5.5" fill="#c0392b" stroke="#fff" stroke-width="1.5"/>` +
        `<text x="${(x + 8).toFixed(1)}" y="${(y - 6 + near * 14).toFixed(1)}" font-size="12" font-weight="600" fill="#1d2733" stroke="#fff" stroke-width="3" paint-order="stroke">${cellLabel(i)}</text>` +
        `<title>${esc(title)}</title></g>`,
    );
  });

  parts.push(scaleBar(bounds, projection));
  parts.push(inset(bounds, cells));
  return `<svg class="evidence-map" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" style="max-width:${WIDTH}px" role="img" aria-label="map of the evidence cells">${parts.join('')}</svg>`;
}

function scaleBar(bounds: [LonLat, LonLat], projection: ReturnType<typeof fitProjection>): string {
  const lat = (bounds[0][1] + bounds[1][1]) / 2;
  const lon = (bounds[0][0] + bounds[1][0]) / 2;
  const kmPerDegLon = 111.195 * Math.cos((lat * Math.PI) / 180);
  const [xa] = projection([lon, lat]) ?? [0];
  const [xb] = projection([lon + 1, lat]) ?? [1];
  const pxPerKm = Math.abs(xb - xa) / kmPerDegLon;
  const km = niceKm(MAP_W / 5 / pxPerKm);
  const w = km * pxPerKm;
  const y = HEIGHT - 18;
  return (
    `<g class="scale"><rect x="10" y="${y - 16}" width="${(w + 20).toFixed(1)}" height="26" fill="#fff" fill-opacity="0.8"/>` +
    `<line x1="20" x2="${(20 + w).toFixed(1)}" y1="${y}" y2="${y}" stroke="#1d2733" stroke-width="2"/>` +
    `<text x="20" y="${y - 4}" font-size="11">${fmtNum(km)} km</text></g>`
  );
}

/** The whole of Peru, small, with the view's frame and the evidence cells. */
function inset(view: [LonLat, LonLat], cells: EvidenceCell[]): string {
  const W = INSET_W;
  const H = 200;
  const p = fitProjection(peruBounds(), W, H, 6);
  const [[w, s], [e, n]] = view;
  const [x0, y0] = p([w, n]) ?? [0, 0];
  const [x1, y1] = p([e, s]) ?? [0, 0];
  const dots = cells
    .map((c) => p([c.lon, c.lat]))
    .filter((q): q is [number, number] => q !== null)
    .map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2" fill="#c0392b"/>`)
    .join('');
  const frame = `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${Math.min(y0, y1).toFixed(1)}" width="${Math.max(Math.abs(x1 - x0), 3).toFixed(1)}" height="${Math.max(Math.abs(y1 - y0), 3).toFixed(1)}" fill="none" stroke="#c0392b" stroke-width="1.2"/>`;
  return `<g class="inset" transform="translate(${MAP_W + 12},0)"><rect width="${W}" height="${H}" fill="#dfeaf2" stroke="#8a96a3"/><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${baseMapSvg(p)}${frame}${dots}</svg></g>`;
}
