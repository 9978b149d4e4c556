// Great-circle distance as SPEC's time_distance rule uses it, and a few helpers to place points.

const EARTH_RADIUS_KM = 6371.0088; // mean radius, as @turf/distance uses

export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const toRad = Math.PI / 180;
  const dLat = (lat2 - lat1) * toRad;
  const dLon = (lon2 - lon1) * toRad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * toRad) * Math.cos(lat2 * toRad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** A point `km` away from (lat, lon) in direction `bearingRad` (flat-earth offset; fine below ~100 km). */
export function offsetKm(lat: number, lon: number, km: number, bearingRad: number): [number, number] {
  const dLat = (km * Math.cos(bearingRad)) / 111.32;
  const dLon = (km * Math.sin(bearingRad)) / (111.32 * Math.cos((lat * Math.PI) / 180));
  return [lat + dLat, lon + dLon];
}
