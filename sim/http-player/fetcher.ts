import { type Dispatcher, request } from 'undici'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import type { Trace } from '../index.js'
import { SESSION_DEFAULTS } from '../index.js'
import { pacedRead, sleep } from './pacer.js'
import type { RequestRecord } from './session.js'

/**
 * How an HTTP-mode player gets one object (session.ts): from the best of its
 * ranked candidates, failing over the way hls.js treats a failed pathway (the
 * candidate is penalised for a while and the request retried elsewhere, with
 * a back-off once every candidate failed lately), each request bounded by a
 * time-to-first-byte and a whole-load deadline. It keeps the session's
 * request, error, failover and per-candidate byte counts.
 */
export interface FetcherOptions {
  candidates: string[]
  dispatcher: Dispatcher
  trace: Trace
  traceOffset?: number
  rtt?: number
  timeScale: number
  /** wall ms */
  ttfbLimitMs: number
  loadLimitMs: number
  penaltyMs: number
  /** player ms */
  retryDelayMs: number
  maxRetryDelayMs: number
  maxAttempts: number
  signal?: AbortSignal
  onRequest?: (r: RequestRecord) => void
}

export interface Fetched {
  body: Buffer | null
  bytes: number
  ttfbWall: number
}

export class CandidateFetcher {
  readonly errors: Record<string, number> = {}
  readonly servedBy: Record<string, number> = {}
  failovers = 0
  requests = 0
  /** candidate → wall time (performance.now()) its penalty ends */
  private readonly penalised = new Map<string, number>()
  readonly wallStart = performance.now()

  constructor(private readonly o: FetcherOptions) {}

  /** Session seconds since the session started: the player's clock runs timeScale times faster than the wall's. */
  sessionNow(): number {
    return ((performance.now() - this.wallStart) / 1000) * this.o.timeScale
  }

  private penaltyEnd(c: string): number {
    return this.penalised.get(c) ?? 0
  }

  /** The candidates not penalised, then the penalised, the one whose penalty ends first (it failed longest ago) first. */
  ranked(): string[] {
    const now = performance.now()
    const ok = this.o.candidates.filter((c) => this.penaltyEnd(c) <= now)
    return [...ok, ...this.o.candidates.filter((c) => !ok.includes(c)).sort((a, b) => this.penaltyEnd(a) - this.penaltyEnd(b))]
  }

  /** GET path on the best candidate, failing over; `pace` reads the body at the trace's rate. */
  async get(path: string, kind: RequestRecord['kind'], headers: Record<string, string>, pace: boolean, media?: RequestRecord['media']): Promise<Fetched> {
    const o = this.o
    let waits = 0
    for (let attempt = 0; attempt < o.maxAttempts; attempt++) {
      const base = this.ranked()[0]
      if (base === undefined) break
      // every candidate failed lately: back off before going round again, as hls.js does,
      // instead of spending every attempt at once on a node that is restarting
      if (this.penaltyEnd(base) > performance.now()) await sleep(Math.min(o.maxRetryDelayMs, o.retryDelayMs * 2 ** waits++) / o.timeScale, o.signal)
      const url = new URL(path, base).href
      const sent = performance.now()
      let status: number | null = null
      const ac = new AbortController()
      const ttfbTimer = setTimeout(() => ac.abort(new Error('timeout')), o.ttfbLimitMs)
      // bodyTimeout 0 below: a paced read pauses the socket on purpose, so the
      // bound on the body is this one, on the whole load, as hls.js's is
      const loadTimer = setTimeout(() => ac.abort(new Error('timeout')), o.loadLimitMs)
      const onAbort = () => ac.abort(o.signal?.reason)
      o.signal?.addEventListener('abort', onAbort, { once: true })
      try {
        this.requests++
        if (pace) {
          const latency = o.trace.latencyAt((o.traceOffset ?? 0) + this.sessionNow()) ?? o.rtt ?? SESSION_DEFAULTS.rtt
          await sleep((latency * 1000) / o.timeScale, ac.signal)
        }
        const res = await request(url, { dispatcher: o.dispatcher, headers, signal: ac.signal, bodyTimeout: 0 })
        clearTimeout(ttfbTimer)
        status = res.statusCode
        const ttfbWall = performance.now()
        if (status !== 200) {
          await res.body.dump()
          throw new Error(`HTTP ${status}`)
        }
        let body: Buffer | null = null
        let bytes: number
        if (pace) {
          bytes = await pacedRead(res.body, {
            trace: o.trace,
            traceStart: (o.traceOffset ?? 0) + this.sessionNow(),
            wallStart: ttfbWall,
            timeScale: o.timeScale,
            signal: ac.signal,
          })
        } else {
          body = Buffer.from(await res.body.arrayBuffer())
          bytes = body.length
        }
        const expected = Number(res.headers['content-length'])
        if (Number.isFinite(expected) && expected !== bytes) throw new Error(`short body: ${bytes} of ${expected} bytes`)
        this.servedBy[base] = (this.servedBy[base] ?? 0) + bytes
        o.onRequest?.({ url, base, kind, ...(media ? { media } : {}), status, bytes, wallMs: performance.now() - sent, ttfbMs: ttfbWall - sent })
        return { body, bytes, ttfbWall }
      } catch (err) {
        if (o.signal?.aborted) throw err
        const reason = (err as Error).message === 'timeout' || ac.signal.reason?.message === 'timeout' ? 'timeout' : status ? `http-${status}` : 'connection'
        this.errors[reason] = (this.errors[reason] ?? 0) + 1
        o.onRequest?.({ url, base, kind, ...(media ? { media } : {}), status, bytes: 0, wallMs: performance.now() - sent, ttfbMs: -1, error: reason })
        this.penalised.set(base, performance.now() + o.penaltyMs)
        if (o.candidates.length > 1) this.failovers++
      } finally {
        clearTimeout(ttfbTimer)
        clearTimeout(loadTimer)
        o.signal?.removeEventListener('abort', onAbort)
      }
    }
    throw new OclabError(ErrorCodes.NOT_FOUND, `${path}: every candidate failed ${o.maxAttempts} times`)
  }
}
