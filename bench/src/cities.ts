// Peruvian cities (WGS84 centres, urban radius, population weight) and the routes subscribers travel.

export interface City {
  name: string;
  lat: number;
  lon: number;
  /** Radius over which the city's cell sites are spread (km). */
  radiusKm: number;
  /** Relative share of subscribers and cell sites. */
  weight: number;
  /** Has a commercial airport served from Lima. */
  airport?: { lat: number; lon: number };
}

export const CITIES: readonly City[] = [
  { name: 'Lima', lat: -12.0464, lon: -77.0428, radiusKm: 22, weight: 40, airport: { lat: -12.0219, lon: -77.1143 } },
  { name: 'Arequipa', lat: -16.409, lon: -71.5375, radiusKm: 9, weight: 5, airport: { lat: -16.3411, lon: -71.583 } },
  { name: 'Trujillo', lat: -8.1116, lon: -79.0288, radiusKm: 8, weight: 4.5 },
  { name: 'Chiclayo', lat: -6.7714, lon: -79.8409, radiusKm: 7, weight: 3.5 },
  { name: 'Piura', lat: -5.1945, lon: -80.6328, radiusKm: 7, weight: 3 },
  { name: 'Iquitos', lat: -3.7491, lon: -73.2538, radiusKm: 6, weight: 2.5 },
  { name: 'Cusco', lat: -13.5319, lon: -71.9675, radiusKm: 6, weight: 2.5, airport: { lat: -13.5357, lon: -71.9388 } },
  { name: 'Huancayo', lat: -12.0651, lon: -75.2049, radiusKm: 6, weight: 2.5 },
  { name: 'Chimbote', lat: -9.0853, lon: -78.5783, radiusKm: 5, weight: 2 },
  { name: 'Tacna', lat: -18.0066, lon: -70.2463, radiusKm: 5, weight: 2 },
  { name: 'Ica', lat: -14.0678, lon: -75.7286, radiusKm: 5, weight: 2 },
  { name: 'Juliaca', lat: -15.5, lon: -70.1333, radiusKm: 5, weight: 1.7 },
  { name: 'Pucallpa', lat: -8.3791, lon: -74.5539, radiusKm: 5, weight: 1.7 },
  { name: 'Cajamarca', lat: -7.1638, lon: -78.5003, radiusKm: 5, weight: 1.5 },
  { name: 'Puno', lat: -15.8402, lon: -70.0219, radiusKm: 4, weight: 1.2 },
  { name: 'Ayacucho', lat: -13.1588, lon: -74.2232, radiusKm: 4, weight: 1.2 },
  { name: 'Huanuco', lat: -9.9306, lon: -76.2422, radiusKm: 4, weight: 1.1 },
  { name: 'Tarapoto', lat: -6.4825, lon: -76.3658, radiusKm: 4, weight: 1 },
  { name: 'Huacho', lat: -11.1067, lon: -77.605, radiusKm: 4, weight: 0.8 },
  { name: 'Moquegua', lat: -17.1956, lon: -70.9353, radiusKm: 3, weight: 0.5 },
];

export const cityByName = (name: string): City => {
  const c = CITIES.find((x) => x.name === name);
  if (!c) throw new Error(`unknown city ${name}`);
  return c;
};

/** Road trips (both directions), with a typical coach/car speed. */
export const ROAD_TRIPS: readonly [string, string][] = [
  ['Lima', 'Huacho'],
  ['Lima', 'Ica'],
  ['Trujillo', 'Chiclayo'],
  ['Trujillo', 'Chimbote'],
  ['Chiclayo', 'Piura'],
  ['Arequipa', 'Moquegua'],
  ['Tacna', 'Moquegua'],
  ['Puno', 'Juliaca'],
  ['Cusco', 'Juliaca'],
  ['Lima', 'Huancayo'],
];

/** Flights from Lima with no CDRs in the air. */
export const FLIGHTS: readonly { to: string; minutes: number }[] = [
  { to: 'Cusco', minutes: 80 },
  { to: 'Arequipa', minutes: 90 },
];
