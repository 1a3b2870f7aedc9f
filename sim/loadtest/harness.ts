import * as hdr from 'hdr-histogram-js'
import type { ClusterConfig } from '../../lib/cluster.js'
import type { Trace } from '../index.js'
import { AliasTable, seededRandom } from '../../lib/random.js'
import { createAbr } from '../index.js'
import { summarize, type Distribution, type SummaryField, type SessionMetrics } from '../index.js'
import { steer } from '../http-player/index.js'
import { clientAgent, runHttpSession, type RequestRecord } from '../http-player/index.js'
import { OcaClient } from '../../oca/index.js'
import { OriginClient } from '../../origin/index.js'
import { attributeFaults, type FaultOutcome, type FaultSpec, type FiredFault, type SessionFaultRecord, type Unattributed } from './faults.js'

export type { FaultOutcome } from './faults.js'

/**
 * `oclab load`: many HTTP-mode players against a running cluster, with
 * faults injected on a schedule. Players are the same sessions as
 * `oclab sim --http`; what this adds is the population (titles by Zipf
 * popularity, clients spread over the sites' coverage zones, traces), the
 * arrival model, fault injection, and the report joining player-side QoE with
 * the servers' own counters.
 */
export interface LoadOptions {
  cluster: ClusterConfig
  /**
   * The PID a cluster process (origin, an OCA id) has now, for kill, drain
   * and origin-down; asked when the fault fires, since a supervisor that
   * restarts a dead child gives it a new PID.
   */
  pidOf: (name: string) => number | null | undefined | Promise<number | null | undefined>
  /** Title ids, most popular first. */
  titles: string[]
  /** Zipf exponent of title popularity. Default 1. */
  zipf?: number
  traces: Trace[]
  algorithms: string[]
  /** open: sessions arrive at `rate`/s whatever the cluster does; closed: `concurrency` players, ramped up. */
  mode: 'open' | 'closed'
  rate?: number
  concurrency?: number
  rampSeconds?: number
  /** Wall seconds during which new sessions start. */
  durationSeconds: number
  timeScale: number
  /** Content seconds each session plays at most. */
  sessionSeconds?: number
  faults: FaultSpec[]
  seed: number
  onProgress?: (p: LoadProgress) => void
}

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

/** What `onProgress` gets each second: the sample, plus `elapsed` (= t) for older callers. */
export interface LoadProgress extends LoadSample {
  elapsed: number
}

export interface LoadReport {
  sessions: { started: number; completed: number; lost: number; lostReasons: Record<string, number> }
  requests: number
  errors: Record<string, number>
  /** segment request latency, wall ms, from the moment the player wanted the segment */
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; count: number }
  /** open model: how late sessions started against their schedule, ms (a slow harness shows here) */
  arrivalLagMs?: { p50: number; p99: number; max: number }
  bytes: number
  gbitPerSecond: number
  /**
   * Per OCA, counted by the harness itself (so an OCA killed mid-run still
   * shows what it served before): requests sent to it, how many failed, body
   * bytes received from it. `hitRatio` is the OCA's own (its /metrics before
   * and after), null when it cannot be read or its counters restarted with
   * the process; `reachable`: it answered /metrics at the end.
   */
  perOca: Array<{ id: string; site: string; requests: number; errors: number; bytes: number; hitRatio: number | null; reachable: boolean }>
  /** share of bytes served to players that did not come from the origin */
  originOffload: number | null
  steeringBySite: Record<string, number>
  qoe: Record<SummaryField, Distribution>
  /** the same per client site (its coverage zone) and ABR algorithm, keyed `site/algorithm` */
  qoeBy: Record<string, Record<SummaryField, Distribution>>
  /** each failed request charged to the fault whose OCA it hit (or the origin outage): see attributeFaults */
  faults: FaultOutcome[]
  /** failed requests and their sessions that no fault explains; with `faults` they add up to every failed request */
  faultsUnattributed: Unattributed
  /** the slowest segment requests, slowest first: where the latency tail came from */
  slowest: Array<{ url: string; oca: string | null; trace: string; wallMs: number; ttfbMs: number }>
  /** one sample per wall second, plus a last one for the tail of the run */
  timeline: LoadSample[]
  wallSeconds: number
}

interface SessionTrace extends Omit<SessionFaultRecord, 'completed' | 'rebufferSeconds'> {
  site: string
  algorithm: string
  start: number
  end: number
  completed: boolean
  metrics: SessionMetrics
  lostReason?: string
}

const SLOWEST_KEPT = 5

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const STEER_TRIES = 4
const STEER_BACKOFF_MS = 500

/** Client addresses of a site: hosts of its first IPv4 coverage prefix (loopback binds any 127/8 address). */
export function siteClientAddress(cidr: string, k: number): string | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr)
  if (!m) return null
  const bits = Number(m[5])
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0
  const hosts = bits >= 31 ? 1 : 2 ** (32 - bits) - 2
  const ip = (base + 1 + (k % Math.min(hosts, 250))) >>> 0
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.')
}

/** Zipf weights → a sampler over indices (pure given `rand`; Walker's alias table, O(1) a draw). */
export function zipfSampler(n: number, s: number, rand: () => number): () => number {
  const table = new AliasTable(Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s))
  return () => table.sample(rand)
}

/** Counters are read after the run with a short deadline: a node killed by a fault must not hold up the report. */
const COUNTER_TIMEOUT_MS = 2000

/**
 * What each OCA served (its /metrics) and since when its process runs (its /health uptime, which a
 * 503 also carries: a restarted node's counters start again), and what the origin served. A node that
 * does not answer is reported as not ok rather than failing the run.
 */
async function serverCounters(cluster: ClusterConfig) {
  const ocas = await Promise.all(
    cluster.ocas.map(async (o) => {
      const c = new OcaClient(o.url, undefined, { timeoutMs: COUNTER_TIMEOUT_MS })
      const [served, health] = await Promise.all([c.served().catch(() => null), c.health().catch(() => null)])
      const since = health ? Date.now() / 1000 - health.uptimeSeconds : null
      if (!served) return { id: o.id, ok: false, since, requests: 0, bytes: 0, hitBytes: 0 }
      return { id: o.id, ok: true, since, ...served }
    }),
  )
  const origin = await new OriginClient(cluster.origin.url, undefined, { timeoutMs: COUNTER_TIMEOUT_MS }).health().catch(() => null)
  return { ocas, originBytes: origin ? origin.bytesServed : NaN }
}

export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const rand = seededRandom(o.seed)
  const pickTitle = zipfSampler(o.titles.length, o.zipf ?? 1, rand)
  const sites = [...new Map(o.cluster.ocas.map((x) => [x.site, x])).values()].filter((x) => x.coverage.some((c) => siteClientAddress(c, 0)))
  if (!sites.length) throw new Error('no site has an IPv4 coverage prefix to place clients in')
  const latencyOpts = { lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 } as const
  const latencyAll = hdr.build(latencyOpts)
  // reset every second: the timeline's per-second percentiles
  const latencySecond = hdr.build(latencyOpts)
  const latency = {
    recordValue(ms: number) {
      latencyAll.recordValue(ms)
      latencySecond.recordValue(ms)
    },
  }
  const lag = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 })
  const errors: Record<string, number> = {}
  const steeringBySite: Record<string, number> = {}
  const sessions: SessionTrace[] = []
  const faultTimes: FiredFault[] = []
  // a candidate URL is an OCA's URL plus the title path (and a signature)
  const ocaByOrigin = new Map(o.cluster.ocas.map((x) => [new URL(x.url).origin, x.id]))
  const ocaOf = (base: string): string | null => {
    try {
      return ocaByOrigin.get(new URL(base).origin) ?? null
    } catch {
      return null
    }
  }
  const perOcaSeen = new Map(o.cluster.ocas.map((x) => [x.id, { requests: 0, errors: 0, bytes: 0 }]))
  const slowest: LoadReport['slowest'] = []
  let requests = 0
  let bytes = 0
  let started = 0
  let active = 0
  const before = await serverCounters(o.cluster)
  const t0 = performance.now()
  const now = () => (performance.now() - t0) / 1000

  const oneSession = async (k: number) => {
    started++
    active++
    const site = sites[k % sites.length]!
    const address = siteClientAddress(site.coverage.find((c) => siteClientAddress(c, 0))!, k)!
    const dispatcher = clientAgent(address, 10_000)
    const title = o.titles[pickTitle()]!
    const trace = o.traces[k % o.traces.length]!
    const alg = o.algorithms[k % o.algorithms.length]!
    const tr: SessionTrace = { site: site.site, algorithm: alg, start: now(), end: 0, completed: false, metrics: undefined as unknown as SessionMetrics, failures: [], served: [] }
    sessions.push(tr)
    try {
      // a player retries its first request a few times before giving up, as it would a manifest
      let answer: Awaited<ReturnType<typeof steer>> | undefined
      for (let attempt = 1; !answer; attempt++) {
        try {
          answer = await steer(o.cluster.steering.url, title, dispatcher)
        } catch (err) {
          if (attempt >= STEER_TRIES) throw err
          errors.steering = (errors.steering ?? 0) + 1
          await sleep(STEER_BACKOFF_MS * attempt)
        }
      }
      steeringBySite[answer.candidates[0]!.site] = (steeringBySite[answer.candidates[0]!.site] ?? 0) + 1
      const r = await runHttpSession({
        titleId: title, candidates: answer.candidates.map((c) => c.url), policy: (l) => createAbr(alg, l), trace, timeScale: o.timeScale, dispatcher,
        ...(o.sessionSeconds ? { maxDuration: o.sessionSeconds } : {}), penaltyMs: 30_000,
        traceOffset: (k * 37) % Math.max(1, Math.floor(trace.duration)),
        onRequest: (q: RequestRecord) => {
          requests++
          bytes += q.bytes
          const t = now()
          const oca = ocaOf(q.base)
          const seen = oca ? perOcaSeen.get(oca) : undefined
          if (seen) {
            seen.requests++
            seen.bytes += q.bytes
            if (q.error) seen.errors++
          }
          if (q.error) {
            errors[q.error] = (errors[q.error] ?? 0) + 1
            tr.failures.push({ oca, sentAt: t - q.wallMs / 1000, failedAt: t, reason: q.error })
          } else if (q.kind === 'segment') {
            latency.recordValue(Math.max(1, Math.round(q.wallMs)))
            if (oca) tr.served.push({ oca, t })
            if (slowest.length < SLOWEST_KEPT || q.wallMs > slowest[slowest.length - 1]!.wallMs) {
              slowest.push({ url: q.url, oca, trace: trace.name, wallMs: Math.round(q.wallMs), ttfbMs: Math.round(q.ttfbMs) })
              slowest.sort((a, b) => b.wallMs - a.wallMs)
              slowest.length = Math.min(slowest.length, SLOWEST_KEPT)
            }
          }
        },
      })
      tr.completed = r.completed
      tr.metrics = r.metrics
      if (!r.completed) tr.lostReason = r.lostReason ?? `every candidate failed (${Object.entries(r.errors).map(([k, v]) => `${k} ${v}`).join(', ')})`
    } catch (err) {
      errors.steering = (errors.steering ?? 0) + 1
      tr.lostReason = `steering: ${(err as Error).message}`
    } finally {
      tr.end = now()
      active--
      await dispatcher.close()
    }
  }

  const fire = async (f: FaultSpec) => {
    faultTimes.push({ fault: f, t: now() })
    const pid = await o.pidOf(f.target)
    if (f.kind === 'kill' && pid) process.kill(pid, 'SIGKILL')
    else if (f.kind === 'drain' && pid) process.kill(pid, 'SIGTERM')
    else if (f.kind === 'slow') {
      const oca = o.cluster.ocas.find((x) => x.id === f.target)
      if (oca) {
        await new OcaClient(oca.url, o.cluster.adminToken).delay(f.value ?? 0)
      }
    } else if (f.kind === 'origin-down' && pid) {
      process.kill(pid, 'SIGSTOP')
      setTimeout(() => process.kill(pid, 'SIGCONT'), (f.value ?? 10) * 1000).unref()
    }
  }
  const faultTimers = o.faults.map((f) => setTimeout(() => void fire(f), f.at * 1000))

  const timeline: LoadSample[] = []
  let last = { t: 0, requests: 0, bytes: 0, faults: 0 }
  const takeSample = (): LoadSample => {
    const t = now()
    const dt = Math.max(1e-3, t - last.t)
    const seen = latencySecond.totalCount > 0
    const sample: LoadSample = {
      t: Number(t.toFixed(3)), started, active,
      completed: sessions.filter((s) => s.end && s.completed).length, lost: sessions.filter((s) => s.end && !s.completed).length,
      requestsPerSecond: Number(((requests - last.requests) / dt).toFixed(1)), gbitPerSecond: ((bytes - last.bytes) * 8) / 1e9 / dt,
      errors: Object.values(errors).reduce((a, b) => a + b, 0),
      p50Ms: seen ? latencySecond.getValueAtPercentile(50) : null, p99Ms: seen ? latencySecond.getValueAtPercentile(99) : null,
      faults: faultTimes.slice(last.faults).map((f) => f.fault.text),
    }
    latencySecond.reset()
    last = { t, requests, bytes, faults: faultTimes.length }
    timeline.push(sample)
    return sample
  }
  const report = () => {
    const s = takeSample()
    o.onProgress?.({ ...s, elapsed: s.t })
  }
  const progress = setInterval(report, 1000)

  const runs: Promise<void>[] = []
  if (o.mode === 'open') {
    const rate = o.rate ?? 1
    const total = Math.max(1, Math.floor(rate * o.durationSeconds))
    for (let k = 0; k < total; k++) {
      const due = (k / rate) * 1000
      const wait = t0 + due - performance.now()
      if (wait > 0) await sleep(wait)
      lag.recordValue(Math.max(1, Math.round(performance.now() - t0 - due)))
      runs.push(oneSession(k))
    }
  } else {
    const n = o.concurrency ?? 10
    const ramp = (o.rampSeconds ?? 0) * 1000
    const player = async (p: number) => {
      if (ramp) await sleep((ramp * p) / n)
      for (let k = p; now() < o.durationSeconds; k += n) await oneSession(k)
    }
    for (let p = 0; p < n; p++) runs.push(player(p))
  }
  await Promise.all(runs)
  clearInterval(progress)
  faultTimers.forEach(clearTimeout)
  // the run's last part second: in the timeline and to whoever follows the progress
  if (now() - last.t > 0.05 || faultTimes.length > last.faults) report()
  const wallSeconds = now()
  const after = await serverCounters(o.cluster)

  const parents = new Map(o.cluster.ocas.map((x) => [x.id, x.parent && x.parent !== 'origin' ? x.parent : undefined]))
  const { faults, unattributed } = attributeFaults(
    faultTimes,
    sessions.map((s) => ({ failures: s.failures, served: s.served, completed: s.completed, rebufferSeconds: s.metrics?.rebufferTime ?? 0 })),
    (id) => parents.get(id),
  )
  const perOca = o.cluster.ocas.map((x) => {
    const b = before.ocas.find((y) => y.id === x.id)!
    const a = after.ocas.find((y) => y.id === x.id)!
    const seen = perOcaSeen.get(x.id)!
    // a restarted OCA starts its counters again: then its own figures say nothing about this run
    const sameProcess = a.since !== null && b.since !== null && Math.abs(a.since - b.since) < 2
    const counted = a.ok && b.ok && sameProcess && a.requests >= b.requests && a.bytes >= b.bytes
    const servedBytes = a.bytes - b.bytes
    return { id: x.id, site: x.site, ...seen, hitRatio: counted && servedBytes > 0 ? (a.hitBytes - b.hitBytes) / servedBytes : null, reachable: a.ok }
  })
  const ocaBytes = perOca.reduce((s, x) => s + x.bytes, 0)
  const originBytes = after.originBytes - before.originBytes
  const played = sessions.filter((s) => s.metrics && s.metrics.segments > 0)
  const done = played.map((s) => s.metrics)
  const groups = new Map<string, SessionMetrics[]>()
  for (const s of played) groups.set(`${s.site}/${s.algorithm}`, [...(groups.get(`${s.site}/${s.algorithm}`) ?? []), s.metrics])
  const pct = (h: hdr.Histogram, p: number) => h.getValueAtPercentile(p)
  return {
    sessions: {
      started,
      completed: sessions.filter((s) => s.completed).length,
      lost: sessions.filter((s) => !s.completed).length,
      lostReasons: sessions.reduce<Record<string, number>>((acc, s) => (s.lostReason ? { ...acc, [s.lostReason]: (acc[s.lostReason] ?? 0) + 1 } : acc), {}),
    },
    requests,
    errors,
    latencyMs: { p50: pct(latencyAll, 50), p90: pct(latencyAll, 90), p99: pct(latencyAll, 99), p999: pct(latencyAll, 99.9), max: latencyAll.maxValue, count: latencyAll.totalCount },
    ...(o.mode === 'open' ? { arrivalLagMs: { p50: pct(lag, 50), p99: pct(lag, 99), max: lag.maxValue } } : {}),
    bytes,
    gbitPerSecond: (bytes * 8) / 1e9 / wallSeconds,
    perOca,
    // bytes the OCAs served to players vs what the origin had to send (fills included)
    originOffload: Number.isFinite(originBytes) && ocaBytes > 0 ? Math.max(0, 1 - originBytes / ocaBytes) : null,
    steeringBySite,
    qoe: summarize(done),
    qoeBy: Object.fromEntries([...groups].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, summarize(v)])),
    faults,
    faultsUnattributed: unattributed,
    slowest,
    timeline,
    wallSeconds,
  }
}
