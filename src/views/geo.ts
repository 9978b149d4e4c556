import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { geoCircle, geoMercator, geoPath, type GeoProjection } from 'd3-geo';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

/**
 * The base map of the analysts' pages: Natural Earth's 1:50m country outlines (npm `world-atlas`), projected
 * in Node with d3-geo into SVG paths. Only Peru and its neighbours are drawn, clipped to the view, so a page
 * carries a few kilobytes of outline and no tiles, fonts or scripts from anywhere.
 */

export type LonLat = [number, number];

/** ISO 3166-1 numeric ids, as world-atlas keys its countries. */
export const PERU_ID = '604';
const NEIGHBOUR_IDS = ['218', '170', '076', '068', '152']; // Ecuador, Colombia, Brazil, Bolivia, Chile

/** Kilometres per degree of great circle (mean Earth radius 6371.0088 km). */
const KM_PER_DEGREE = (6371.0088 * Math.PI) / 180;

let countries: Map<string, Feature<Geometry>> | null = null;

function loadCountries(): Map<string, Feature<Geometry>> {
  if (countries) return countries;
  const require = createRequire(import.meta.url);
  const topo = JSON.parse(readFileSync(require.resolve('world-atlas/countries-50m.json'), 'utf8')) as Topology<{
    countries: GeometryCollection;
  }>;
  const fc = feature(topo, topo.objects.countries) as FeatureCollection<Geometry>;
  countries = new Map(fc.features.map((f) => [String(f.id), f]));
  return countries;
}

export function peruFeature(): Feature<Geometry> {
  const f = loadCountries().get(PERU_ID);
  if (!f) throw new Error('world-atlas has no Peru (id 604)');
  return f;
}

/** [[west, south], [east, north]] of Peru's outline. */
export function peruBounds(): [LonLat, LonLat] {
  return geoPath().bounds(peruFeature()) as [LonLat, LonLat];
}

/**
 * A Mercator projection that fits `bounds` into width x height (less `margin`), clipped to the frame.
 * Mercator keeps angles and, at Peru's latitudes (0-18° S), scale within 5% across the country.
 */
export function fitProjection(bounds: [LonLat, LonLat], width: number, height: number, margin = 12): GeoProjection {
  const [[w, s], [e, n]] = bounds;
  const p = geoMercator().fitExtent(
    [
      [margin, margin],
      [width - margin, height - margin],
    ],
    { type: 'MultiPoint', coordinates: [[w, s], [e, n], [w, n], [e, s]] },
  );
  return p.clipExtent([
    [0, 0],
    [width, height],
  ]);
}

/** SVG of the neighbours (light) and Peru (outlined), clipped to the projection's frame. */
export function baseMapSvg(projection: GeoProjection): string {
  const path = geoPath(projection).digits(1);
  const all = loadCountries();
  let out = '';
  for (const id of NEIGHBOUR_IDS) {
    const f = all.get(id);
    const d = f ? path(f) : null;
    if (d) out += `<path class="land" d="${d}" fill="#eef0ec" stroke="#c4c9c0" stroke-width="0.8"/>`;
  }
  const d = path(peruFeature());
  if (d) out += `<path class="peru" d="${d}" fill="#fbfaf4" stroke="#8a8f7a" stroke-width="1.2"/>`;
  return out;
}

/** The projected outline of a circle of `radiusKm` around a point (a cell's coverage), or null when off view. */
export function circlePath(projection: GeoProjection, lon: number, lat: number, radiusKm: number): string | null {
  const circle = geoCircle()
    .center([lon, lat])
    .radius(Math.max(radiusKm, 0.001) / KM_PER_DEGREE)
    .precision(10)();
  return geoPath(projection).digits(1)(circle);
}

/** Bounds of circles of `radiusKm` around points (for fitting a map to the evidence and its coverage). */
export function boundsOfCircles(points: { lon: number; lat: number; radiusKm: number }[]): [LonLat, LonLat] {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  for (const p of points) {
    const dLat = p.radiusKm / KM_PER_DEGREE;
    const dLon = dLat / Math.max(Math.cos((p.lat * Math.PI) / 180), 0.01);
    w = Math.min(w, p.lon - dLon);
    e = Math.max(e, p.lon + dLon);
    s = Math.min(s, p.lat - dLat);
    n = Math.max(n, p.lat + dLat);
  }
  return [
    [w, s],
    [e, n],
  ];
}

/** Widen bounds by `share` of their span on each side, and to at least `minSpanDeg` in each direction. */
export function padBounds(b: [LonLat, LonLat], share: number, minSpanDeg: number): [LonLat, LonLat] {
  let [[w, s], [e, n]] = b;
  const grow = (lo: number, hi: number): [number, number] => {
    const span = Math.max(hi - lo, minSpanDeg);
    const mid = (lo + hi) / 2;
    const half = (span * (1 + 2 * share)) / 2;
    return [mid - half, mid + half];
  };
  [w, e] = grow(w, e);
  [s, n] = grow(s, n);
  return [
    [w, Math.max(s, -85)],
    [e, Math.min(n, 85)],
  ];
}
