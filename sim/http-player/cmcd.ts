/**
 * Common Media Client Data (CTA-5004), sent as the four CMCD request headers
 * so OCA logs and metrics can be joined to the session's QoE. Keys and units
 * as the spec defines them: kbps and milliseconds as integers, bl and mtp
 * rounded to the nearest 100, strings quoted, booleans as a bare key.
 */
export interface CmcdData {
  /** session id (sid) */
  sessionId: string
  /** content id (cid) */
  contentId?: string
  /** object type: m manifest, a audio, v video, i init, c caption or subtitle, o other (ot) */
  objectType: 'm' | 'a' | 'v' | 'i' | 'c' | 'o'
  /** encoded bitrate of the requested object, bit/s (br, sent in kbps) */
  bitrate?: number
  /** buffer length, seconds (bl, sent in ms) */
  bufferLength?: number
  /** object duration, seconds (d, sent in ms) */
  duration?: number
  /** measured throughput, bit/s (mtp, sent in kbps) */
  measuredThroughput?: number
  /** top bitrate of the ladder, bit/s (tb) */
  topBitrate?: number
  /** streaming format: h HLS, d DASH (sf) */
  format: 'h' | 'd'
  /** buffer starvation since the last request (bs) */
  bufferStarvation?: boolean
  /** startup: the object is needed urgently (su) */
  startup?: boolean
}

const kbps = (bps: number) => Math.round(bps / 1000)
const round100 = (x: number) => Math.round(x / 100) * 100
const str = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`

/** Headers per CTA-5004 §3.2: keys sorted alphabetically within each header, empty headers left out. */
export function cmcdHeaders(d: CmcdData): Record<string, string> {
  const object: string[] = []
  const request: string[] = []
  const session: string[] = []
  const status: string[] = []
  if (d.bitrate !== undefined) object.push(`br=${kbps(d.bitrate)}`)
  if (d.duration !== undefined) object.push(`d=${Math.round(d.duration * 1000)}`)
  object.push(`ot=${d.objectType}`)
  if (d.topBitrate !== undefined) object.push(`tb=${kbps(d.topBitrate)}`)
  if (d.bufferLength !== undefined) request.push(`bl=${round100(d.bufferLength * 1000)}`)
  if (d.measuredThroughput !== undefined) request.push(`mtp=${round100(kbps(d.measuredThroughput))}`)
  if (d.startup) request.push('su')
  if (d.contentId) session.push(`cid=${str(d.contentId)}`)
  session.push(`sf=${d.format}`, `sid=${str(d.sessionId)}`)
  if (d.bufferStarvation) status.push('bs')
  const out: Record<string, string> = {}
  if (object.length) out['cmcd-object'] = object.sort().join(',')
  if (request.length) out['cmcd-request'] = request.sort().join(',')
  out['cmcd-session'] = session.sort().join(',')
  if (status.length) out['cmcd-status'] = status.sort().join(',')
  return out
}

/** Parse CMCD headers back into key → value (servers and tests join on them). */
export function parseCmcd(headers: Record<string, string | string[] | undefined>): Record<string, string | true> {
  const out: Record<string, string | true> = {}
  for (const h of ['cmcd-object', 'cmcd-request', 'cmcd-session', 'cmcd-status']) {
    const v = headers[h]
    if (typeof v !== 'string') continue
    for (const part of v.split(',')) {
      const eq = part.indexOf('=')
      if (eq < 0) out[part.trim()] = true
      else
        out[part.slice(0, eq).trim()] = part
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1')
    }
  }
  return out
}
