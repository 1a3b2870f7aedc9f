/** xs:duration (as ISO/IEC 23009-1 uses it, e.g. PT1H2M3.5S) in seconds, or null when malformed. Years and months count as 365 and 30 days. */
export function parseIsoDuration(s: string): number | null {
  const m = /^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d*)?)S)?)?$/.exec(
    s.trim(),
  )
  if (!m || s.trim() === 'P' || /T$/.test(s.trim())) return null
  const [, neg, y, mo, d, h, mi, sec] = m
  const v = Number(y ?? 0) * 31536000 + Number(mo ?? 0) * 2592000 + Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(mi ?? 0) * 60 + Number(sec ?? 0)
  return neg ? -v : v
}
