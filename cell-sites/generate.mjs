#!/usr/bin/env node
// Writes cell-sites/peru-cells.csv: a synthetic cell catalogue for Peru in OpenCelliD's CSV layout.
// Deterministic (seeded PRNG, no clock): the same script always writes the same bytes.
// Usage: node cell-sites/generate.mjs [output-path]
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SEED = 0x716; // MCC of Peru
const OUT = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'peru-cells.csv');

// mulberry32: small, fast, good enough for synthetic data.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);
const between = (lo, hi) => lo + (hi - lo) * rand();
const int = (lo, hi) => Math.floor(between(lo, hi + 1));
const pick = (items) => items[Math.floor(rand() * items.length)];
function weighted(pairs) {
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [v, w] of pairs) if ((r -= w) < 0) return v;
  return pairs[pairs.length - 1][0];
}

// City centres (WGS84, real coordinates), the number of sites to place, and the spread radius in km.
// `code` is a small number per city used to build LAC/TAC values, so area codes are regional as in a real network.
const CITIES = [
  { name: 'Lima', lat: -12.046374, lon: -77.042793, sites: 160, radiusKm: 18, code: 1 },
  { name: 'Callao', lat: -12.056590, lon: -77.118140, sites: 50, radiusKm: 6, code: 2 },
  { name: 'Arequipa', lat: -16.398866, lon: -71.536961, sites: 70, radiusKm: 9, code: 3 },
  { name: 'Cusco', lat: -13.531950, lon: -71.967463, sites: 45, radiusKm: 6, code: 4 },
  { name: 'Trujillo', lat: -8.111763, lon: -79.028687, sites: 55, radiusKm: 8, code: 5 },
  { name: 'Chiclayo', lat: -6.771436, lon: -79.840881, sites: 45, radiusKm: 7, code: 6 },
  { name: 'Piura', lat: -5.194490, lon: -80.632820, sites: 40, radiusKm: 7, code: 7 },
  { name: 'Iquitos', lat: -3.749120, lon: -73.253830, sites: 30, radiusKm: 6, code: 8 },
  { name: 'Huancayo', lat: -12.065100, lon: -75.204900, sites: 30, radiusKm: 6, code: 9 },
  { name: 'Tacna', lat: -18.006570, lon: -70.246270, sites: 25, radiusKm: 5, code: 10 },
  { name: 'Puno', lat: -15.840220, lon: -70.021880, sites: 20, radiusKm: 4, code: 11 },
  { name: 'Ica', lat: -14.067770, lon: -75.728610, sites: 25, radiusKm: 5, code: 12 },
  { name: 'Juliaca', lat: -15.500000, lon: -70.133330, sites: 25, radiusKm: 5, code: 13 },
  { name: 'Cajamarca', lat: -7.163780, lon: -78.500270, sites: 20, radiusKm: 4, code: 14 },
  { name: 'Pucallpa', lat: -8.379150, lon: -74.553870, sites: 20, radiusKm: 5, code: 15 },
  { name: 'Chimbote', lat: -9.085280, lon: -78.578330, sites: 25, radiusKm: 5, code: 16 },
  { name: 'Huanuco', lat: -9.930620, lon: -76.242230, sites: 15, radiusKm: 4, code: 17 },
  { name: 'Ayacucho', lat: -13.158780, lon: -74.223210, sites: 15, radiusKm: 4, code: 18 },
  { name: 'Tumbes', lat: -3.566940, lon: -80.451530, sites: 12, radiusKm: 3, code: 19 },
  { name: 'Puerto Maldonado', lat: -12.593310, lon: -69.189130, sites: 10, radiusKm: 3, code: 20 },
  { name: 'Tarapoto', lat: -6.482470, lon: -76.373260, sites: 12, radiusKm: 3, code: 21 },
  { name: 'Huaraz', lat: -9.527780, lon: -77.527780, sites: 10, radiusKm: 3, code: 22 },
];

// Roads between cities (straight segments between the centres, good enough at this scale), with the
// spacing of roadside sites in km. Rural sites have wide ranges, some above the 10 km cap.
const ROADS = [
  ['Lima', 'Huaraz', 30], // via Pativilca, simplified
  ['Lima', 'Chimbote', 25], // Panamericana Norte
  ['Chimbote', 'Trujillo', 20],
  ['Trujillo', 'Chiclayo', 20],
  ['Chiclayo', 'Piura', 25],
  ['Piura', 'Tumbes', 25],
  ['Trujillo', 'Cajamarca', 25],
  ['Lima', 'Ica', 20], // Panamericana Sur
  ['Ica', 'Arequipa', 30],
  ['Arequipa', 'Tacna', 30],
  ['Arequipa', 'Juliaca', 25],
  ['Juliaca', 'Puno', 10],
  ['Juliaca', 'Cusco', 30],
  ['Lima', 'Huancayo', 20], // Carretera Central
  ['Huancayo', 'Ayacucho', 30],
  ['Huanuco', 'Pucallpa', 30],
];

// Peruvian networks under MCC 716: 6 Movistar (Telefonica), 10 Claro, 17 Entel, 7 Entel (ex Nextel).
const NETS = [
  [6, 40],
  [10, 35],
  [17, 20],
  [7, 5],
];

const R_KM = 6371.0088;
/** Point at `distKm` and `bearingDeg` from (lat, lon), on a sphere. */
function offset(lat, lon, distKm, bearingDeg) {
  const d = distKm / R_KM;
  const b = (bearingDeg * Math.PI) / 180;
  const p1 = (lat * Math.PI) / 180;
  const l1 = (lon * Math.PI) / 180;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [(p2 * 180) / Math.PI, (l2 * 180) / Math.PI];
}
function distanceKm(a, b) {
  const toR = Math.PI / 180;
  const dLat = (b.lat - a.lat) * toR;
  const dLon = (b.lon - a.lon) * toR;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * toR) * Math.cos(b.lat * toR) * Math.sin(dLon / 2) ** 2;
  return 2 * R_KM * Math.asin(Math.sqrt(h));
}

const rows = [];
const seen = new Set();
// Per (net, radio) counters keep cell ids unique across the whole catalogue.
const nextId = new Map();
function allocate(net, radio) {
  const k = `${net}:${radio}`;
  const n = (nextId.get(k) ?? 0) + 1;
  nextId.set(k, n);
  return n;
}

function rangeFor(urban) {
  // A few rows have no range or 0 (the engine then uses its default), as in real OpenCelliD exports.
  const r = rand();
  if (r < 0.03) return '';
  if (r < 0.06) return '0';
  return String(urban ? int(150, 3000) : int(3000, 20000));
}

function addCell(radio, net, area, cell, unit, lat, lon, range) {
  const key = `${radio},716,${net},${area},${cell}`;
  if (seen.has(key)) throw new Error(`duplicate cell key ${key}`);
  seen.add(key);
  const created = 1262304000 + int(0, 400000000); // 2010 .. 2022
  const updated = created + int(0, 120000000);
  const samples = int(1, 400);
  const avgSignal = rand() < 0.7 ? 0 : -int(50, 110);
  rows.push([radio, 716, net, area, cell, unit, lon.toFixed(6), lat.toFixed(6), range, samples, 1, created, updated, avgSignal].join(','));
}

/** One site: 1 to 3 sectors per technology present, sharing the site's coordinates. */
function addSite(lat, lon, regionCode, urban, allowNr) {
  const net = weighted(NETS);
  const netSlot = net === 6 ? 1 : net === 10 ? 2 : net === 17 ? 3 : 4;
  const lac = regionCode * 100 + netSlot * 10 + int(0, 3); // LAC for GSM/UMTS
  const tac = 10000 + regionCode * 100 + netSlot * 10 + int(0, 3); // TAC for LTE/NR
  const sectors = urban ? int(2, 3) : int(1, 3);
  const radios = ['LTE'];
  if (rand() < (urban ? 0.5 : 0.7)) radios.push('UMTS');
  if (rand() < (urban ? 0.3 : 0.6)) radios.push('GSM');
  if (allowNr && rand() < 0.25) radios.push('NR');
  for (const radio of radios) {
    const base = allocate(net, radio);
    for (let s = 1; s <= sectors; s++) {
      const range = rangeFor(urban);
      // Sector antennas sit a few metres apart on the mast.
      const sl = lat + between(-0.0002, 0.0002);
      const so = lon + between(-0.0002, 0.0002);
      if (radio === 'LTE') addCell('LTE', net, tac, base * 256 + s, int(0, 503), sl, so, range); // ECI = eNB*256 + sector
      else if (radio === 'NR') addCell('NR', net, tac, base * 4096 + s, int(0, 1007), sl, so, range); // NCI = gNB*4096 + sector
      else if (radio === 'UMTS') addCell('UMTS', net, lac, (base % 4000) * 65536 + 10000 + s, int(0, 511), sl, so, range); // RNC*65536 + CI
      else addCell('GSM', net, lac, ((base * 3 + s) % 65000) + 1, '', sl, so, range);
    }
  }
}

// Anchors: one LTE cell of network 6 exactly at each city centre, with fixed ids, so fixtures and docs can name
// a cell per city without reading the generated file: LTE,716,6,<20000 + code>,<code * 1000>, range 1000 m.
for (const c of CITIES) addCell('LTE', 6, 20000 + c.code, c.code * 1000, 0, c.lat, c.lon, '1000');

const byName = new Map(CITIES.map((c) => [c.name, c]));
const NR_CITIES = new Set(['Lima', 'Callao', 'Arequipa', 'Trujillo']);
for (const c of CITIES) {
  for (let i = 0; i < c.sites; i++) {
    // Denser towards the centre: distance ~ radius * u^1.5.
    const [lat, lon] = offset(c.lat, c.lon, c.radiusKm * rand() ** 1.5, between(0, 360));
    addSite(lat, lon, c.code, true, NR_CITIES.has(c.name));
  }
}
for (const [from, to, stepKm] of ROADS) {
  const a = byName.get(from);
  const b = byName.get(to);
  const total = distanceKm(a, b);
  const n = Math.floor(total / stepKm);
  for (let i = 1; i < n; i++) {
    const f = i / n;
    const lat = a.lat + (b.lat - a.lat) * f;
    const lon = a.lon + (b.lon - a.lon) * f;
    const [jl, jo] = offset(lat, lon, between(0, 2), between(0, 360));
    addSite(jl, jo, f < 0.5 ? a.code : b.code, false, false);
  }
}

const HEADER = 'radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal';
writeFileSync(OUT, HEADER + '\n' + rows.join('\n') + '\n');
process.stderr.write(`wrote ${rows.length} cells to ${OUT}\n`);
