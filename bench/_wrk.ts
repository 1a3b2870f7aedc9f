/** wrk's output read back, counting only good responses (shared by bench oca and bench load; tested in test/bench). */

export interface WrkResult {
  rps: number
  /** MB/s of good responses only (2xx with the whole body) */
  mbps: number
  p50ms: number
  p99ms: number
  errors: string
  requests: number
  /** responses that were not 2xx/3xx (a 503 shed is one) */
  non2xx: number
  socketErrors: number
  /** responses counted as throughput: 2xx, and wrk read at least their bodies' bytes */
  good: number
  seconds: number
}

const unitMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

const sizeUnit: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }

/**
 * Parse `wrk --latency` output. Only good responses count as throughput:
 * wrk's Requests/sec includes 503s and errors (a run once printed "3.79×
 * nginx" from 3,009 shed of ~3,900), so good = requests − non-2xx/3xx, and
 * when the bytes wrk read cannot hold that many whole bodies none are good.
 */
export function parseWrk(out: string, bodyBytes: number): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m), ([\d.]+)(B|KB|MB|GB|TB) read/.exec(out)
  const requests = Number(total?.[1] ?? NaN)
  const seconds = total ? (Number(total[2]) * unitMs[total[3]!]!) / 1000 : NaN
  const readBytes = total ? Number(total[4]) * sizeUnit[total[5]!]! : NaN
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const socketErrors = se ? se.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0
  let good = Math.max(0, requests - non2xx)
  // wrk prints read bytes to 2 decimals of its unit: allow that rounding, nothing more.
  const rounding = total ? 0.006 * sizeUnit[total[5]!]! : 0
  if (!(readBytes + rounding >= good * bodyBytes)) good = 0
  const rps = good / seconds
  const lat = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out)
    return m ? Number(m[1]) * unitMs[m[2]!]! : NaN
  }
  const errs = [/Socket errors:.*$/m.exec(out)?.[0], /Non-2xx or 3xx responses:.*$/m.exec(out)?.[0]].filter(Boolean).join('; ')
  return { rps, mbps: (rps * bodyBytes) / 1e6, p50ms: lat('50'), p99ms: lat('99'), errors: errs, requests, non2xx, socketErrors, good, seconds }
}
