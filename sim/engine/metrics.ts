/**
 * QoE weights of the linear QoE of the MPC (Yin et al. 2015) and Pensieve
 * (Mao et al. 2017) papers, per segment n:
 *   QoE_n = R_n/1e6 − rebuffer · T_rebuf,n − switch · |R_n − R_{n−1}|/1e6
 * with R in bit/s (so bitrate terms are in Mbit/s). Pensieve's simulator
 * counts the first download's wait as rebuffering; `startup` weights the
 * startup delay the same way by default.
 */
export interface QoeWeights {
  rebuffer: number
  switch: number
  startup: number
}

export const QOE_DEFAULTS: QoeWeights = { rebuffer: 4.3, switch: 1, startup: 4.3 }

export interface SessionMetrics {
  segments: number
  /** Seconds from the first request to the first frame. */
  startupDelay: number
  rebufferCount: number
  /** Seconds stalled after playback started. */
  rebufferTime: number
  /** Mean nominal bitrate of the played segments weighted by duration, bit/s. */
  averageBitrate: number
  /** Mean per-segment quality weighted by duration, on qualityMetric's scale, or null. */
  averageQuality: number | null
  qualityMetric: string | null
  switches: number
  switchesUp: number
  switchesDown: number
  /** Mean |Δbitrate| of a switch, bit/s (0 without switches). */
  averageSwitchSize: number
  bytesDownloaded: number
  bytesPlayed: number
  /** Audio and subtitle bytes among bytesPlayed (present when the session fetched them beside the video). */
  companionBytes?: number
  /** Bytes fetched and thrown away (abandoned downloads), as a share of bytes downloaded. */
  wasteRatio: number
  abandonments: number
  /** Seconds of media played on each rung (ascending bitrate). */
  timeAtRung: number[]
  /** Switches across each boundary between rung b and b+1 (a two-rung jump crosses two). */
  boundaryCrossings: number[]
  /** Sum of per-segment linear QoE. */
  qoe: number
  /** qoe divided by the number of segments (Pensieve reports this). */
  qoePerSegment: number
  /** Seconds from the first request to the end of playback. */
  sessionTime: number
}

export interface Distribution {
  mean: number
  p5: number
  p50: number
  p95: number
  n: number
}

/** Mean and nearest-rank-interpolated percentiles. */
export function distribution(values: number[]): Distribution {
  const n = values.length
  if (n === 0) return { mean: NaN, p5: NaN, p50: NaN, p95: NaN, n: 0 }
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number): number => {
    const x = p * (n - 1)
    const lo = Math.floor(x)
    const hi = Math.min(n - 1, lo + 1)
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (x - lo)
  }
  return { mean: sorted.reduce((a, b) => a + b, 0) / n, p5: at(0.05), p50: at(0.5), p95: at(0.95), n }
}

/** The per-session numbers a sweep summarises as distributions. */
export const SUMMARY_FIELDS = [
  'qoePerSegment',
  'averageBitrate',
  'rebufferTime',
  'rebufferCount',
  'startupDelay',
  'switches',
  'averageQuality',
  'wasteRatio',
] as const
export type SummaryField = (typeof SUMMARY_FIELDS)[number]

export function summarize(sessions: SessionMetrics[]): Record<SummaryField, Distribution> {
  const out = {} as Record<SummaryField, Distribution>
  for (const f of SUMMARY_FIELDS) {
    out[f] = distribution(sessions.map((s) => s[f]).filter((v): v is number => typeof v === 'number'))
  }
  return out
}
