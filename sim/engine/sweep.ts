import type { ProfileName } from '../abr/params.js'
import { createAbr } from '../abr/registry.js'
import type { AbrParams } from '../abr/types.js'
import type { Ladder } from '../manifest/ladder.js'
import type { TraceSet } from '../trace/trace.js'
import { runSession, SESSION_DEFAULTS, type SessionOptions, type SessionResult } from './engine.js'
import { type Distribution, type SummaryField, summarize } from './metrics.js'
import { type LadderVerdict, ladderVerdict, VERDICT_DEFAULTS, type VerdictThresholds } from './verdicts.js'

export interface SweepInput {
  ladders: Ladder[]
  traceSets: TraceSet[]
  algorithms: string[]
  /** Parameters per algorithm name over the profile's defaults, e.g. { bba: { reservoir: 8 } }. */
  abrParams?: Record<string, AbrParams>
  /** Whose defaults the rules take (sim/abr/params.ts); default sabre. */
  profile?: ProfileName
  session?: Partial<SessionOptions>
  thresholds?: VerdictThresholds
}

/** One algorithm × ladder × trace set: every session's metrics and their distributions. */
export interface SweepCell {
  ladder: string
  traceSet: string
  algorithm: string
  sessions: SessionResult[]
  summary: Record<SummaryField, Distribution>
  /** Share of played time on each rung. */
  rungShare: number[]
}

export interface SweepResult {
  algorithms: string[]
  ladders: Array<{
    name: string
    source: string
    sizesExact: boolean
    qualityMetric: string | null
    notes: string[]
    /** The video codec played (a device profile's choice), when the ladder's source says. */
    codec?: string
    /** The audio and subtitle renditions fetched beside the video on the same link, when any. */
    companions?: string[]
    rungs: Array<{ id: string; bitrate: number; width?: number; height?: number }>
  }>
  traceSets: Array<{ name: string; traces: number; meanThroughput: number }>
  cells: SweepCell[]
  verdicts: LadderVerdict[]
}

/** Sessions done so far and in all, for a progress line. */
export type SweepProgress = (done: number, total: number) => void

/** Every algorithm on every trace of every set, for each ladder; sessions are independent and deterministic. */
export function runSweep(input: SweepInput, onProgress?: SweepProgress): SweepResult {
  const cells: SweepCell[] = []
  const verdicts: LadderVerdict[] = []
  const options = { bufferCap: input.session?.bufferCap ?? SESSION_DEFAULTS.bufferCap, ...(input.profile ? { profile: input.profile } : {}) }
  const sessionsTotal = input.ladders.length * input.algorithms.length * input.traceSets.reduce((a, s) => a + s.traces.length, 0)
  let done = 0
  for (const ladder of input.ladders) {
    for (const set of input.traceSets) {
      const all: SessionResult[] = []
      for (const algorithm of input.algorithms) {
        const sessions = set.traces.map((trace) => {
          const r = runSession(ladder, trace, createAbr(algorithm, ladder, input.abrParams?.[algorithm], options), input.session)
          onProgress?.(++done, sessionsTotal)
          return r
        })
        all.push(...sessions)
        const time = new Array<number>(ladder.rungs.length).fill(0)
        for (const s of sessions) for (const [i, v] of s.metrics.timeAtRung.entries()) time[i]! += v
        const total = time.reduce((a, b) => a + b, 0)
        cells.push({
          ladder: ladder.name,
          traceSet: set.name,
          algorithm,
          sessions,
          summary: summarize(sessions.map((s) => s.metrics)),
          rungShare: time.map((v) => (total ? v / total : 0)),
        })
      }
      verdicts.push(ladderVerdict(ladder, set, all, input.thresholds ?? VERDICT_DEFAULTS))
    }
  }
  return {
    algorithms: input.algorithms,
    ladders: input.ladders.map((l) => ({
      name: l.name,
      source: l.source,
      sizesExact: l.sizesExact,
      qualityMetric: l.qualityMetric,
      notes: l.notes,
      ...(l.codec ? { codec: l.codec } : {}),
      ...(l.companions ? { companions: l.companions.tracks } : {}),
      rungs: l.rungs.map((r) => ({ id: r.id, bitrate: r.bitrate, ...(r.width ? { width: r.width } : {}), ...(r.height ? { height: r.height } : {}) })),
    })),
    traceSets: input.traceSets.map((s) => ({
      name: s.name,
      traces: s.traces.length,
      meanThroughput: s.traces.reduce((a, t) => a + t.meanThroughput, 0) / s.traces.length,
    })),
    cells,
    verdicts,
  }
}
