// The synthetic cell catalogue of Peru in OpenCelliD's layout: sites spread over the main cities and along
// the roads between them, each site with one to four cells (GSM/UMTS/LTE/NR), mcc 716, mnc 6/10/17/7.

import { CITIES, ROAD_TRIPS, cityByName } from './cities.js';
import { haversineKm, offsetKm } from './geo.js';
import { Rng } from './rng.js';

export const DEFAULT_RANGE_M = 1000;
export const MAX_RANGE_M = 10000;

export type RadioName = 'GSM' | 'UMTS' | 'LTE' | 'NR';

export interface Cell {
  radio: RadioName;
  mcc: number;
  mnc: number;
  lac: number;
  ci: number;
  lat: number;
  lon: number;
  /** Range as written in the catalogue ('' when absent). */
  rangeRaw: string;
  /** Range the rules use: default when absent or 0, capped at the maximum. */
  rangeM: number;
  /** False when the catalogue row is deliberately unreadable (the engine must treat the cell as unknown). */
  known: boolean;
  /** `RADIO:mcc:mnc:lac:ci` */
  id: string;
}

export interface Site {
  lat: number;
  lon: number;
  cells: Cell[];
}

export interface Catalogue {
  cells: Cell[];
  /** Sites with at least one known cell, per city (index as CITIES). */
  citySites: Site[][];
  /** Sites along each road trip, in order from the first city to the second (index as ROAD_TRIPS). */
  roadSites: Site[][];
  /** Per city, a site next to the airport (only cities with one). */
  airportSites: (Site | undefined)[];
  /** Cells whose catalogue row is bad (so unknown to the engine), per city. */
  badCells: Cell[][];
  /** Lines of the catalogue file, header first. */
  lines: string[];
  /** Expected rejects of the catalogue file: physical line (header = 1) and reason. */
  rejects: { line: number; reason: 'invalid_cell' }[];
}

const RADIO_MIX: readonly RadioName[] = ['GSM', 'UMTS', 'LTE', 'NR'];
const MNCS = [6, 10, 17, 7] as const;

export function cellId(c: { radio: string; mcc: number; mnc: number; lac: number; ci: number }): string {
  return `${c.radio}:${c.mcc}:${c.mnc}:${c.lac}:${c.ci}`;
}

export function effectiveRangeM(raw: string): number {
  const r = raw === '' ? 0 : Number(raw);
  if (!Number.isFinite(r) || r <= 0) return DEFAULT_RANGE_M;
  return Math.min(r, MAX_RANGE_M);
}

/** Builds the catalogue: about `sites` urban sites plus road sites; deterministic per seed. */
export function buildCatalogue(seed: number, sites = 2500): Catalogue {
  const rng = Rng.of(seed, 'catalogue');
  const cells: Cell[] = [];
  let ciCounter = 10000;
  const totalWeight = CITIES.reduce((s, c) => s + c.weight, 0);

  const makeSite = (lat: number, lon: number, urban: boolean, lac: number): Site => {
    const site: Site = { lat, lon, cells: [] };
    const nCells = urban ? rng.int(1, 4) : rng.int(1, 2);
    const radios = new Set<RadioName>();
    while (radios.size < nCells) radios.add(urban ? rng.pick(RADIO_MIX) : rng.pick(['GSM', 'UMTS', 'LTE'] as const));
    const mnc = MNCS[rng.weighted([38, 35, 20, 7])];
    for (const radio of radios) {
      let rangeRaw: string;
      const u = rng.next();
      if (u < 0.05) rangeRaw = '';
      else if (u < 0.1) rangeRaw = '0';
      else if (urban) rangeRaw = String(rng.int(200, 2500));
      else rangeRaw = String(rng.int(3000, 16000)); // some above the cap
      ciCounter += rng.int(1, 7);
      const ci = radio === 'LTE' ? 256 * ciCounter + rng.int(1, 3) : radio === 'NR' ? 4096 * ciCounter + rng.int(1, 3) : ciCounter;
      const c: Cell = {
        radio,
        mcc: 716,
        mnc,
        lac: lac,
        ci,
        lat,
        lon,
        rangeRaw,
        rangeM: effectiveRangeM(rangeRaw),
        known: true,
        id: '',
      };
      c.id = cellId(c);
      cells.push(c);
      site.cells.push(c);
    }
    return site;
  };

  const citySites: Site[][] = [];
  const airportSites: (Site | undefined)[] = [];
  const badCells: Cell[][] = [];
  CITIES.forEach((city, ci) => {
    const n = Math.max(20, Math.round((sites * city.weight) / totalWeight));
    const list: Site[] = [];
    for (let i = 0; i < n; i++) {
      // denser in the centre: radius ~ sqrt(u) * R with a bias to the centre
      const r = city.radiusKm * Math.pow(rng.next(), 0.8);
      const [lat, lon] = offsetKm(city.lat, city.lon, r, rng.next() * 2 * Math.PI);
      list.push(makeSite(round6(lat), round6(lon), true, 100 * (ci + 1) + rng.int(0, 30)));
    }
    citySites.push(list);
    airportSites.push(city.airport ? makeSite(city.airport.lat, city.airport.lon, true, 100 * (ci + 1) + 99) : undefined);
    // two cells whose catalogue rows will be unreadable
    const bad: Cell[] = [];
    for (let k = 0; k < 2; k++) {
      const s = makeSite(round6(city.lat + rng.range(-0.02, 0.02)), round6(city.lon + rng.range(-0.02, 0.02)), true, 100 * (ci + 1) + 98);
      for (const c of s.cells) {
        c.known = false;
        bad.push(c);
      }
    }
    badCells.push(bad);
  });

  const roadSites: Site[][] = ROAD_TRIPS.map(([from, to], ri) => {
    const a = cityByName(from);
    const b = cityByName(to);
    const km = haversineKm(a.lat, a.lon, b.lat, b.lon);
    const n = Math.max(3, Math.round(km / 15));
    const list: Site[] = [];
    for (let i = 1; i < n; i++) {
      const f = i / n;
      list.push(makeSite(round6(a.lat + (b.lat - a.lat) * f + rng.range(-0.03, 0.03)), round6(a.lon + (b.lon - a.lon) * f + rng.range(-0.03, 0.03)), false, 5000 + ri));
    }
    return list;
  });

  // Keep only known cells in the site lists the subscribers use.
  for (const list of citySites) for (const s of list) s.cells = s.cells.filter((c) => c.known);

  const lines = ['radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal'];
  const rejects: Catalogue['rejects'] = [];
  const shuffled = cells.slice();
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  for (const c of shuffled) {
    const created = 1500000000 + rng.int(0, 2e8);
    let lat = String(c.lat);
    let lon = String(c.lon);
    if (!c.known) {
      // lat/lon outside WGS84 bounds, or unreadable
      const k = rng.int(0, 2);
      if (k === 0) lat = String(-95 - rng.int(0, 50));
      else if (k === 1) lon = String(-190 - rng.int(0, 50));
      else lat = 'n/a';
    }
    lines.push(`${c.radio},${c.mcc},${c.mnc},${c.lac},${c.ci},0,${lon},${lat},${c.rangeRaw},${rng.int(1, 400)},1,${created},${created + rng.int(0, 5e7)},0`);
    if (!c.known) rejects.push({ line: lines.length, reason: 'invalid_cell' });
  }
  return { cells, citySites, roadSites, airportSites, badCells, lines, rejects };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
