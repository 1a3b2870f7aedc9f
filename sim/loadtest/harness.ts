import type * as hdr from 'hdr-histogram-js'
import type { Dispatcher } from 'undici'
import type { ClusterConfig } from '../../lib/cluster.js'
import { AliasTable, seededRandom } from '../../lib/random.js'
import { OcaClient } from '../../oca/index.js'
import { OriginClient } from '../../origin/index.js'
import { clientAgent, type RequestRecord, runHttpSession, steer } from '../http-player/index.js'
import type { PlayerChoice, Trace } from '../index.js'
import { createAbr, type Distribution, type SessionMetrics, type SummaryField, summarize } from '../index.js'
import { attributeFaults, type FaultOutcome, type FaultSpec, scheduleFaults, type Unattributed } from './faults.js'
import { LoadRecorder, type LoadSample, type SlowRequest } from './recorder.js'

export type { FaultOutcome } from './faults.js'
export type { LoadSample } from './recorder.js'

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
  /** What every player decodes and fetches beside the video (sim/manifest/device.ts); default the title's main codec with its first audio. */
  choice?: PlayerChoice
  seed: number
  onProgress?: (p: LoadProgress) => void
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
  slowest: SlowRequest[]
  /** one sample per wall second, plus a last one for the tail of the run */
  timeline: LoadSample[]
  wallSeconds: number
}

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

type Site = ClusterConfig['ocas'][number]

/** The sites players are placed in: one per site, those with an IPv4 coverage prefix to take client addresses from. */
function clientSites(cluster: ClusterConfig): Site[] {
  const sites = [...new Map(cluster.ocas.map((x) => [x.site, x])).values()].filter((x) => x.coverage.some((c) => siteClientAddress(c, 0)))
  if (!sites.length) throw new Error('no site has an IPv4 coverage prefix to place clients in')
  return sites
}

/** A player retries its first request a few times before giving up, as it would a manifest; each failure counts as a steering error. */
async function steerWithRetries(steeringUrl: string, title: string, dispatcher: Dispatcher, rec: LoadRecorder): Promise<Awaited<ReturnType<typeof steer>>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await steer(steeringUrl, title, dispatcher)
    } catch (err) {
      if (attempt >= STEER_TRIES) throw err
      rec.countError('steering')
      await sleep(STEER_BACKOFF_MS * attempt)
    }
  }
}

/** Session `k`: its client site, address, title, trace and algorithm are dealt from `k`, so a run is the same for a seed. */
async function playSession(o: LoadOptions, rec: LoadRecorder, sites: readonly Site[], pickTitle: () => number, k: number): Promise<void> {
  const site = sites[k % sites.length]!
  const address = siteClientAddress(site.coverage.find((c) => siteClientAddress(c, 0))!, k)!
  const dispatcher = clientAgent(address, 10_000)
  const title = o.titles[pickTitle()]!
  const trace = o.traces[k % o.traces.length]!
  const alg = o.algorithms[k % o.algorithms.length]!
  const tr = rec.session(site.site, alg)
  try {
    const answer = await steerWithRetries(o.cluster.steering.url, title, dispatcher, rec)
    const first = answer.candidates[0]!.site
    rec.steeringBySite[first] = (rec.steeringBySite[first] ?? 0) + 1
    const r = await runHttpSession({
      ...o.choice,
      titleId: title,
      candidates: answer.candidates.map((c) => c.url),
      policy: (l) => createAbr(alg, l),
      trace,
      timeScale: o.timeScale,
      dispatcher,
      ...(o.sessionSeconds ? { maxDuration: o.sessionSeconds } : {}),
      penaltyMs: 30_000,
      traceOffset: (k * 37) % Math.max(1, Math.floor(trace.duration)),
      onRequest: (q: RequestRecord) => rec.request(tr, trace.name, q),
    })
    tr.completed = r.completed
    tr.metrics = r.metrics
    if (!r.completed)
      tr.lostReason =
        r.lostReason ??
        `every candidate failed (${Object.entries(r.errors)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`
  } catch (err) {
    rec.countError('steering')
    tr.lostReason = `steering: ${(err as Error).message}`
  } finally {
    rec.ended(tr)
    await dispatcher.close()
  }
}

/**
 * Start sessions until the run's duration is over. Open model: session k starts at k/rate s whatever
 * the others do (how late it really started goes into the lag histogram). Closed model: `concurrency`
 * players, each starting its next session when the last ends, ramped in over `rampSeconds`.
 */
async function driveArrivals(o: LoadOptions, rec: LoadRecorder, play: (k: number) => Promise<void>): Promise<void> {
  const runs: Promise<void>[] = []
  if (o.mode === 'open') {
    const rate = o.rate ?? 1
    const total = Math.max(1, Math.floor(rate * o.durationSeconds))
    for (let k = 0; k < total; k++) {
      const due = (k / rate) * 1000
      const wait = due - rec.elapsedMs()
      if (wait > 0) await sleep(wait)
      rec.lag.recordValue(Math.max(1, Math.round(rec.elapsedMs() - due)))
      runs.push(play(k))
    }
  } else {
    const n = o.concurrency ?? 10
    const ramp = (o.rampSeconds ?? 0) * 1000
    const player = async (p: number) => {
      if (ramp) await sleep((ramp * p) / n)
      for (let k = p; rec.now() < o.durationSeconds; k += n) await play(k)
    }
    for (let p = 0; p < n; p++) runs.push(player(p))
  }
  await Promise.all(runs)
}

type Counters = Awaited<ReturnType<typeof serverCounters>>

/** Per OCA: what the harness saw, and the hit ratio from the node's own counters when they span the whole run. */
function perOcaFigures(cluster: ClusterConfig, rec: LoadRecorder, before: Counters, after: Counters): LoadReport['perOca'] {
  return cluster.ocas.map((x) => {
    const b = before.ocas.find((y) => y.id === x.id)!
    const a = after.ocas.find((y) => y.id === x.id)!
    const seen = rec.perOcaSeen.get(x.id)!
    // a restarted OCA starts its counters again: then its own figures say nothing about this run
    const sameProcess = a.since !== null && b.since !== null && Math.abs(a.since - b.since) < 2
    const counted = a.ok && b.ok && sameProcess && a.requests >= b.requests && a.bytes >= b.bytes
    const servedBytes = a.bytes - b.bytes
    return { id: x.id, site: x.site, ...seen, hitRatio: counted && servedBytes > 0 ? (a.hitBytes - b.hitBytes) / servedBytes : null, reachable: a.ok }
  })
}

/** The report: sessions, latency, per-OCA figures, offload, QoE overall and per site/algorithm, faults charged. */
function assembleReport(o: LoadOptions, rec: LoadRecorder, before: Counters, after: Counters, wallSeconds: number): LoadReport {
  const parents = new Map(o.cluster.ocas.map((x) => [x.id, x.parent && x.parent !== 'origin' ? x.parent : undefined]))
  const { sessions, latencyAll, lag } = rec
  const { faults, unattributed } = attributeFaults(
    rec.faultTimes,
    sessions.map((s) => ({ failures: s.failures, served: s.served, completed: s.completed, rebufferSeconds: s.metrics?.rebufferTime ?? 0 })),
    (id) => parents.get(id),
  )
  const perOca = perOcaFigures(o.cluster, rec, before, after)
  const ocaBytes = perOca.reduce((s, x) => s + x.bytes, 0)
  const originBytes = after.originBytes - before.originBytes
  const played = sessions.filter((s) => s.metrics && s.metrics.segments > 0)
  const groups = new Map<string, SessionMetrics[]>()
  for (const s of played) groups.set(`${s.site}/${s.algorithm}`, [...(groups.get(`${s.site}/${s.algorithm}`) ?? []), s.metrics])
  const pct = (h: hdr.Histogram, p: number) => h.getValueAtPercentile(p)
  return {
    sessions: {
      started: rec.started,
      completed: sessions.filter((s) => s.completed).length,
      lost: sessions.filter((s) => !s.completed).length,
      lostReasons: countBy(sessions, (s) => s.lostReason),
    },
    requests: rec.requests,
    errors: rec.errors,
    latencyMs: {
      p50: pct(latencyAll, 50),
      p90: pct(latencyAll, 90),
      p99: pct(latencyAll, 99),
      p999: pct(latencyAll, 99.9),
      max: latencyAll.maxValue,
      count: latencyAll.totalCount,
    },
    ...(o.mode === 'open' ? { arrivalLagMs: { p50: pct(lag, 50), p99: pct(lag, 99), max: lag.maxValue } } : {}),
    bytes: rec.bytes,
    gbitPerSecond: (rec.bytes * 8) / 1e9 / wallSeconds,
    perOca,
    // bytes the OCAs served to players vs what the origin had to send (fills included)
    originOffload: Number.isFinite(originBytes) && ocaBytes > 0 ? Math.max(0, 1 - originBytes / ocaBytes) : null,
    steeringBySite: rec.steeringBySite,
    qoe: summarize(played.map((s) => s.metrics)),
    qoeBy: Object.fromEntries([...groups].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, summarize(v)])),
    faults,
    faultsUnattributed: unattributed,
    slowest: rec.slowest,
    timeline: rec.timeline,
    wallSeconds,
  }
}

export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const rand = seededRandom(o.seed)
  const pickTitle = zipfSampler(o.titles.length, o.zipf ?? 1, rand)
  const sites = clientSites(o.cluster)
  const before = await serverCounters(o.cluster)
  // the run's clock starts here, after the first counter read
  const rec = new LoadRecorder(o.cluster)
  const cancelFaults = scheduleFaults(
    o.faults,
    o,
    (f) => rec.faultTimes.push({ fault: f, t: rec.now() }),
    (f, err) => rec.countError(`fault ${f.text} failed: ${err.message}`),
  )
  const progress = () => {
    const s = rec.sample()
    o.onProgress?.({ ...s, elapsed: s.t })
  }
  const ticker = setInterval(progress, 1000)
  await driveArrivals(o, rec, (k) => playSession(o, rec, sites, pickTitle, k))
  clearInterval(ticker)
  cancelFaults()
  // the run's last part second: in the timeline and to whoever follows the progress
  if (rec.hasTail()) progress()
  const wallSeconds = rec.now()
  return assembleReport(o, rec, before, await serverCounters(o.cluster), wallSeconds)
}

/** How many items have each key; items without one are left out. */
function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const item of items) {
    const k = key(item)
    if (k !== undefined) out[k] = (out[k] ?? 0) + 1
  }
  return out
}
