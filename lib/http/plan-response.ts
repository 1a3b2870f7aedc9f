import { evaluatePreconditions, httpDate, rangeApplies } from './conditional.js'
import { type ByteRange, contentRange, parseRange, unsatisfiedRange } from './range.js'

/**
 * Decide status and headers for a GET/HEAD of one stored object, before any
 * byte is read: the OCA and the origin share this so both answer Range and
 * conditional requests identically.
 *
 * Multi-range requests are answered with 200 and the full body (RFC 9110
 * §14.2 lets a server ignore Range): players ask for one range at a time, and
 * multipart/byteranges costs a copy and a boundary parser on every client.
 */
export interface Representation {
  size: number
  etag: string
  /** ms since the epoch */
  lastModified: number
  contentType: string
  cacheControl: string
}

export type ResponsePlan =
  | { status: 200; headers: Record<string, string>; range?: undefined }
  | { status: 206; headers: Record<string, string>; range: ByteRange }
  | { status: 304 | 412 | 416; headers: Record<string, string>; range?: undefined }

type RequestHeaders = Record<string, string | string[] | undefined>

export function planResponse(method: string, headers: RequestHeaders, rep: Representation): ResponsePlan {
  const validators = { etag: rep.etag, lastModified: rep.lastModified }
  const common = { etag: rep.etag, 'last-modified': httpDate(rep.lastModified), 'cache-control': rep.cacheControl }
  const outcome = evaluatePreconditions(method, headers, validators)
  if (outcome === 'not-modified') return { status: 304, headers: common }
  if (outcome === 'precondition-failed') return { status: 412, headers: { 'content-length': '0' } }

  const full = { ...common, 'content-type': rep.contentType, 'accept-ranges': 'bytes', 'content-length': String(rep.size) }
  const rangeHeader = headers.range
  if (method !== 'GET' || typeof rangeHeader !== 'string' || !rangeApplies(headers, validators)) return { status: 200, headers: full }
  const r = parseRange(rangeHeader, rep.size)
  if (r.kind === 'unsatisfiable') {
    return { status: 416, headers: { 'content-range': unsatisfiedRange(rep.size), 'accept-ranges': 'bytes', 'content-length': '0' } }
  }
  if (r.kind === 'full' || r.ranges.length !== 1) return { status: 200, headers: full }
  const range = r.ranges[0]!
  return {
    status: 206,
    range,
    headers: { ...full, 'content-length': String(range.end - range.start + 1), 'content-range': contentRange(range, rep.size) },
  }
}
