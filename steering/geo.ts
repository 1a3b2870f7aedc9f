/** Great-circle distance in km between two points (haversine; mean Earth radius 6371.0088 km, IUGG). */
export interface LatLon {
  lat: number
  lon: number
}

const R_KM = 6371.0088
const rad = (deg: number): number => (deg * Math.PI) / 180

export function haversineKm(a: LatLon, b: LatLon): number {
  const dLat = rad(b.lat - a.lat)
  const dLon = rad(b.lon - a.lon)
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2
  return 2 * R_KM * Math.asin(Math.min(1, Math.sqrt(h)))
}
