import turfDistance from '@turf/distance';
import type { CellSite } from '../domain/types.js';

/** Great-circle distance between two cell sites in km (@turf/distance, haversine). */
export function greatCircleKm(a: CellSite, b: CellSite): number {
  return turfDistance([a.lon, a.lat], [b.lon, b.lat], { units: 'kilometers' });
}

/** Art. 22(b) distance: the great-circle distance less both coverage radii, never below 0. */
export function effectiveDistanceKm(a: CellSite, b: CellSite): number {
  return Math.max(0, greatCircleKm(a, b) - a.rangeM / 1000 - b.rangeM / 1000);
}
