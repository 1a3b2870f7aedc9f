import * as hdr from 'hdr-histogram-js'
import type { ClusterConfig } from '../../lib/cluster.js'
import type { RequestRecord } from '../http-player/index.js'
import type { SessionMetrics } from '../index.js'
import type { FiredFault, SessionFaultRecord } from './faults.js'

/**
 * What a load run sees while it runs (harness.ts): every request the players
 * make, counted per OCA, into latency histograms and a per-second timeline.
 * One object per run, so the run's steps (sessions, fault firing, sampling,
 * the report) share it instead of a dozen closed-over counters.
 */

/** One second of a run: counts are cumulative (started, completed, lost, errors), rates are over that second. */
export interface LoadSample {
  /** wall seconds since the run started */
  t: number
  started: number
  active: number
  completed: number
  lost: number
  requestsPerSecond: number
  gbitPerSecond: number
  errors: number
  /** segment latency, wall ms, of the requests that finished in that second (null when none did) */
  p50Ms: number | null
  p99Ms: number | null
  /** texts of the faults fired in that second */
  faults: string[]
}

export interface SessionTrace extends Omit<SessionFaultRecord, 'completed' | 'rebufferSeconds'> {
  site: string
  algorithm: string
  start: number
  end: number
  completed: boolean
  metrics: SessionMetrics
  lostReason?: string
}

export interface SlowRequest {
  url: string
  oca: string | null
  trace: string
  wallMs: number
  ttfbMs: number
}

const SLOWEST_KEPT = 5
const LATENCY = { lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 } as const

export class LoadRecorder {
  readonly latencyAll = hdr.build(LATENCY)
  /** reset every second: the timeline's per-second percentiles */
  private readonly latencySecond = hdr.build(LATENCY)
  /** open model: how late each session started against its schedule */
  readonly lag = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 })
  readonly errors: Record<string, number> = {}
  readonly steeringBySite: Record<string, number> = {}
  readonly sessions: SessionTrace[] = []
  readonly faultTimes: FiredFault[] = []
  readonly perOcaSeen: Map<string, { requests: number; errors: number; bytes: number }>
  readonly slowest: SlowRequest[] = []
  readonly timeline: LoadSample[] = []
  requests = 0
  bytes = 0
  started = 0
  active = 0
  private readonly t0 = performance.now()
  private last = { t: 0, requests: 0, bytes: 0, faults: 0 }
  /** a candidate URL is an OCA's URL plus the title path (and a signature) */
  private readonly ocaByOrigin: Map<string, string>

  constructor(cluster: ClusterConfig) {
    this.ocaByOrigin = new Map(cluster.ocas.map((x) => [new URL(x.url).origin, x.id]))
    this.perOcaSeen = new Map(cluster.ocas.map((x) => [x.id, { requests: 0, errors: 0, bytes: 0 }]))
  }

  /** wall seconds since the run started */
  now(): number {
    return (performance.now() - this.t0) / 1000
  }

  /** ms since the run started, for the arrival schedule */
  elapsedMs(): number {
    return performance.now() - this.t0
  }

  countError(key: string): void {
    this.errors[key] = (this.errors[key] ?? 0) + 1
  }

  /** Open a session's record; its steps fill it in. */
  session(site: string, algorithm: string): SessionTrace {
    this.started++
    this.active++
    const tr: SessionTrace = {
      site,
      algorithm,
      start: this.now(),
      end: 0,
      completed: false,
      metrics: undefined as unknown as SessionMetrics,
      failures: [],
      served: [],
    }
    this.sessions.push(tr)
    return tr
  }

  ended(tr: SessionTrace): void {
    tr.end = this.now()
    this.active--
  }

  private ocaOf(base: string): string | null {
    try {
      return this.ocaByOrigin.get(new URL(base).origin) ?? null
    } catch {
      return null
    }
  }

  /** One request a player made: per OCA, errors charged to the session (for fault attribution), segment latency, the slowest few. */
  request(tr: SessionTrace, traceName: string, q: RequestRecord): void {
    this.requests++
    this.bytes += q.bytes
    const t = this.now()
    const oca = this.ocaOf(q.base)
    const seen = oca ? this.perOcaSeen.get(oca) : undefined
    if (seen) {
      seen.requests++
      seen.bytes += q.bytes
      if (q.error) seen.errors++
    }
    if (q.error) {
      this.countError(q.error)
      tr.failures.push({ oca, sentAt: t - q.wallMs / 1000, failedAt: t, reason: q.error })
    } else if (q.kind === 'segment') {
      const ms = Math.max(1, Math.round(q.wallMs))
      this.latencyAll.recordValue(ms)
      this.latencySecond.recordValue(ms)
      if (oca) tr.served.push({ oca, t })
      this.keepIfSlow(q.wallMs, { url: q.url, oca, trace: traceName, wallMs: Math.round(q.wallMs), ttfbMs: Math.round(q.ttfbMs) })
    }
  }

  /** `wallMs` unrounded: a request a fraction of a ms slower than the fastest kept still displaces it. */
  private keepIfSlow(wallMs: number, r: SlowRequest): void {
    const fastestKept = this.slowest.at(-1)
    if (this.slowest.length >= SLOWEST_KEPT && fastestKept && wallMs <= fastestKept.wallMs) return
    this.slowest.push(r)
    this.slowest.sort((a, b) => b.wallMs - a.wallMs)
    this.slowest.length = Math.min(this.slowest.length, SLOWEST_KEPT)
  }

  /** Close the current second into the timeline. */
  sample(): LoadSample {
    const t = this.now()
    const last = this.last
    const dt = Math.max(1e-3, t - last.t)
    const seen = this.latencySecond.totalCount > 0
    const sample: LoadSample = {
      t: Number(t.toFixed(3)),
      started: this.started,
      active: this.active,
      completed: this.sessions.filter((s) => s.end && s.completed).length,
      lost: this.sessions.filter((s) => s.end && !s.completed).length,
      requestsPerSecond: Number(((this.requests - last.requests) / dt).toFixed(1)),
      gbitPerSecond: ((this.bytes - last.bytes) * 8) / 1e9 / dt,
      errors: Object.values(this.errors).reduce((a, b) => a + b, 0),
      p50Ms: seen ? this.latencySecond.getValueAtPercentile(50) : null,
      p99Ms: seen ? this.latencySecond.getValueAtPercentile(99) : null,
      faults: this.faultTimes.slice(last.faults).map((f) => f.fault.text),
    }
    this.latencySecond.reset()
    this.last = { t, requests: this.requests, bytes: this.bytes, faults: this.faultTimes.length }
    this.timeline.push(sample)
    return sample
  }

  /** Whether the run's last part second is worth a sample of its own (it saw time pass or a fault fire). */
  hasTail(): boolean {
    return this.now() - this.last.t > 0.05 || this.faultTimes.length > this.last.faults
  }
}
