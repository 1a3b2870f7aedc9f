import { ABR_FAMILY } from '../abr/registry.js'
import type { Ladder } from '../manifest/ladder.js'
import type { TraceSet } from '../trace/trace.js'
import type { SessionResult } from './engine.js'

/**
 * Thresholds behind the ladder verdicts. Ratios follow common ladder practice
 * (Apple's HLS authoring guidance keeps adjacent bitrates within about 2×;
 * steps under ~1.25× rarely look different); quality gaps are in VMAF points,
 * where about 6 is one just-noticeable difference.
 */
export interface VerdictThresholds {
  /** A rung chosen for less than this share of played time is "rarely used". */
  rareShare: number
  /** Adjacent rungs closer than this bitrate ratio are "too close". */
  tooCloseRatio: number
  /** … or, with VMAF known, closer than this many points. */
  tooCloseQuality: number
  /** Adjacent rungs further apart than this ratio are "too far". */
  tooFarRatio: number
  tooFarQuality: number
  /** Share of a trace set (lowest mean throughput first) that counts as its worst traces. */
  worstShare: number
  /** The lowest rung "sustains playback" when the best algorithm stalls at most this share of the time on the worst traces. */
  sustainedRebufferRatio: number
  /** The top rung is "hard to reach" when fewer sessions than this share ever play it. */
  topReachShare: number
}

export const VERDICT_DEFAULTS: VerdictThresholds = {
  rareShare: 0.02,
  tooCloseRatio: 1.25,
  tooCloseQuality: 2,
  tooFarRatio: 2.0,
  tooFarQuality: 12,
  worstShare: 0.1,
  sustainedRebufferRatio: 0.01,
  topReachShare: 0.05,
}

export interface RungUse {
  id: string
  bitrate: number
  /** Share of all played time on this rung, over every algorithm and trace. */
  share: number
  /** Share of each algorithm's played time on this rung. */
  byAlgorithm: Record<string, number>
  /** Share of the trace set's time whose throughput is at or above this rung's bitrate. */
  linkSustains: number
}

export interface NeighbourPair {
  lower: string
  upper: string
  ratio: number
  /** Mean quality gain of upper over lower on the ladder's metric, or null when unknown. */
  qualityGain: number | null
  /** Switches across this boundary per hour of playback, over all sessions. */
  switchesPerHour: number
}

export interface LadderVerdict {
  ladder: string
  /** The video codec whose rungs were played, when known: a verdict holds for that codec's ladder. */
  codec?: string
  traceSet: string
  /** ABR families whose sessions the verdict rests on (throughput, buffer, hybrid, model-predictive). */
  families: string[]
  rungUse: RungUse[]
  unused: string[]
  rare: string[]
  tooClose: NeighbourPair[]
  tooFar: NeighbourPair[]
  lowestRung: {
    id: string
    bitrate: number
    worstTraces: string[]
    /** Share of time the worst traces' throughput is below the lowest rung. */
    belowShare: number
    /** Stall time / session time on the worst traces, for the best algorithm there. */
    bestRebufferRatio: number
    bestAlgorithm: string
    sustains: boolean
  }
  topRung: {
    id: string
    bitrate: number
    /** Share of sessions that played at least one top-rung segment. */
    sessionsReaching: number
    timeShare: number
    reachable: boolean
  }
  suggestions: string[]
}

const kbps = (bps: number): string => `${Math.round(bps / 1000)} kbps`

/** What a player team wants to know about a ladder on a trace set, from the sessions of every algorithm. */
export function ladderVerdict(ladder: Ladder, set: TraceSet, sessions: SessionResult[], t: VerdictThresholds = VERDICT_DEFAULTS): LadderVerdict {
  const R = ladder.rungs.length
  const time = new Array<number>(R).fill(0)
  const crossings = new Array<number>(Math.max(0, R - 1)).fill(0)
  let played = 0
  for (const s of sessions) {
    for (const [i, v] of s.metrics.timeAtRung.entries()) time[i]! += v
    for (const [i, v] of s.metrics.boundaryCrossings.entries()) crossings[i]! += v
    played += s.metrics.timeAtRung.reduce((a, b) => a + b, 0)
  }
  // Per algorithm: a rung is only unused or rare when every algorithm run leaves it so, and the verdict says who and why.
  const algTime = new Map<string, { time: number[]; played: number; sessions: number; reachTop: number }>()
  for (const s of sessions) {
    const acc = algTime.get(s.algorithm) ?? { time: new Array<number>(R).fill(0), played: 0, sessions: 0, reachTop: 0 }
    for (const [i, v] of s.metrics.timeAtRung.entries()) acc.time[i]! += v
    acc.played += s.metrics.timeAtRung.reduce((a, b) => a + b, 0)
    acc.sessions++
    if (s.metrics.timeAtRung[R - 1]! > 0) acc.reachTop++
    algTime.set(s.algorithm, acc)
  }
  const algorithms = [...algTime.keys()]
  const families = [...new Set(algorithms.map((a) => ABR_FAMILY[a] ?? a))]
  const setTime = set.traces.reduce((a, w) => a + w.duration, 0)
  const rungUse: RungUse[] = ladder.rungs.map((r, i) => ({
    id: r.id,
    bitrate: r.bitrate,
    share: played ? time[i]! / played : 0,
    byAlgorithm: Object.fromEntries(algorithms.map((a) => [a, algTime.get(a)!.played ? algTime.get(a)!.time[i]! / algTime.get(a)!.played : 0])),
    linkSustains: setTime ? set.traces.reduce((a, w) => a + (1 - w.fractionBelow(r.bitrate)) * w.duration, 0) / setTime : 0,
  }))
  const unused = rungUse.filter((u) => u.share === 0).map((u) => u.id)
  const rare = rungUse.filter((u) => u.share > 0 && algorithms.every((a) => u.byAlgorithm[a]! < t.rareShare)).map((u) => u.id)
  /** Why an algorithm left rung u (nearly) unused: the link, or the rule. */
  const why = (u: RungUse, a: string): string => {
    const pct = `${(u.linkSustains * 100).toFixed(0)}%`
    if (u.linkSustains < t.rareShare) return `${a}: the link sustained it only ${pct} of the time`
    if ((ABR_FAMILY[a] ?? a) === 'buffer') return `${a}: its buffer never reached the level that picks it, though the link sustained it ${pct} of the time`
    return `${a}: its rule chose lower rungs, though the link sustained it ${pct} of the time`
  }
  const reasons = (u: RungUse): string => algorithms.map((a) => why(u, a)).join('; ')
  const caveat = families.length < 2 ? ` (only the ${families[0] ?? 'one'} family was run: run another ABR family before acting on this)` : ''

  const meanQuality = ladder.rungs.map((r) => (r.quality ? r.quality.reduce((a, b) => a + b, 0) / r.quality.length : null))
  const pairs: NeighbourPair[] = []
  for (let i = 0; i + 1 < R; i++) {
    const lq = meanQuality[i]
    const uq = meanQuality[i + 1]
    pairs.push({
      lower: ladder.rungs[i]!.id,
      upper: ladder.rungs[i + 1]!.id,
      ratio: ladder.rungs[i + 1]!.bitrate / ladder.rungs[i]!.bitrate,
      qualityGain: lq != null && uq != null ? uq - lq : null,
      switchesPerHour: played ? (crossings[i]! * 3600) / played : 0,
    })
  }
  const vmaf = ladder.qualityMetric === 'vmaf'
  const tooClose = pairs.filter((p) => p.ratio < t.tooCloseRatio || (vmaf && p.qualityGain !== null && p.qualityGain < t.tooCloseQuality))
  const tooFar = pairs.filter((p) => p.ratio > t.tooFarRatio || (vmaf && p.qualityGain !== null && p.qualityGain > t.tooFarQuality))

  const byMean = [...set.traces].sort((a, b) => a.meanThroughput - b.meanThroughput)
  const worst = byMean.slice(0, Math.max(1, Math.ceil(byMean.length * t.worstShare)))
  const worstNames = new Set(worst.map((w) => w.name))
  const lowest = ladder.rungs[0]!
  const belowShare = worst.reduce((a, w) => a + w.fractionBelow(lowest.bitrate) * w.duration, 0) / worst.reduce((a, w) => a + w.duration, 0)
  const perAlgo = new Map<string, { stall: number; total: number }>()
  for (const s of sessions) {
    if (!worstNames.has(s.trace)) continue
    const acc = perAlgo.get(s.algorithm) ?? { stall: 0, total: 0 }
    acc.stall += s.metrics.rebufferTime
    acc.total += s.metrics.sessionTime
    perAlgo.set(s.algorithm, acc)
  }
  let bestAlgorithm = ''
  let bestRebufferRatio = Infinity
  for (const [a, v] of perAlgo) {
    const ratio = v.total ? v.stall / v.total : 0
    if (ratio < bestRebufferRatio) {
      bestRebufferRatio = ratio
      bestAlgorithm = a
    }
  }
  if (!Number.isFinite(bestRebufferRatio)) bestRebufferRatio = 0
  const sustains = bestRebufferRatio <= t.sustainedRebufferRatio

  const top = ladder.rungs[R - 1]!
  const sessionsReaching = sessions.length ? sessions.filter((s) => s.metrics.timeAtRung[R - 1]! > 0).length / sessions.length : 0
  const topShare = rungUse[R - 1]!.share
  // Reachable when any algorithm run reaches it often enough: one rule's cap is not the ladder's fault.
  const reachable = algorithms.some((a) => algTime.get(a)!.reachTop / algTime.get(a)!.sessions >= t.topReachShare)

  const suggestions: string[] = []
  for (const id of unused) {
    const u = rungUse.find((x) => x.id === id)!
    suggestions.push(`drop rung ${id}: never chosen by any of ${algorithms.join(', ')} on ${set.name} (${reasons(u)})${caveat}`)
  }
  for (const id of rare) {
    const u = rungUse.find((x) => x.id === id)!
    if (R > 1 && !(id === top.id && !reachable))
      suggestions.push(
        `rung ${id} (${kbps(u.bitrate)}) plays ${(u.share * 100).toFixed(1)}% of the time under every algorithm run (${reasons(u)}): consider dropping it or moving it${caveat}`,
      )
  }
  for (const p of tooClose) {
    const gain = p.qualityGain !== null ? `, ${p.qualityGain >= 0 ? '+' : ''}${p.qualityGain.toFixed(1)} ${ladder.qualityMetric}` : ''
    suggestions.push(
      `rungs ${p.lower} and ${p.upper} are too close (×${p.ratio.toFixed(2)}${gain}; ${p.switchesPerHour.toFixed(1)} switches/hour between them): merge them`,
    )
  }
  for (const p of tooFar) {
    const lower = ladder.rungs.find((r) => r.id === p.lower)!.bitrate
    const mid = Math.sqrt(lower * lower * p.ratio)
    suggestions.push(
      `rungs ${p.lower} and ${p.upper} are far apart (×${p.ratio.toFixed(2)}; ${p.switchesPerHour.toFixed(1)} switches/hour across): add a rung near ${kbps(mid)}`,
    )
  }
  if (!sustains) {
    suggestions.push(
      `lowest rung ${lowest.id} (${kbps(lowest.bitrate)}) does not sustain playback on the worst ${worst.length} trace(s): even ${bestAlgorithm} stalls ${(bestRebufferRatio * 100).toFixed(1)}% of the time and throughput is below it ${(belowShare * 100).toFixed(0)}% of the time; add a rung near ${kbps(lowest.bitrate / 2)}`,
    )
  }
  if (!reachable && R > 1 && !unused.includes(top.id)) {
    suggestions.push(
      `top rung ${top.id} (${kbps(top.bitrate)}) is reached in ${(sessionsReaching * 100).toFixed(1)}% of sessions on ${set.name} (${reasons(rungUse[R - 1]!)}): it serves few viewers here${caveat}`,
    )
  }
  if (suggestions.length === 0) suggestions.push('no change suggested')

  return {
    ladder: ladder.name,
    ...(ladder.codec ? { codec: ladder.codec } : {}),
    traceSet: set.name,
    families,
    rungUse,
    unused,
    rare,
    tooClose,
    tooFar,
    lowestRung: { id: lowest.id, bitrate: lowest.bitrate, worstTraces: worst.map((w) => w.name), belowShare, bestRebufferRatio, bestAlgorithm, sustains },
    topRung: { id: top.id, bitrate: top.bitrate, sessionsReaching, timeShare: topShare, reachable },
    suggestions,
  }
}
