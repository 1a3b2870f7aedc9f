import type { Ladder } from '../manifest/ladder.js'
import type { AbrPolicy, AbrState, DownloadSample } from './types.js'

export interface BbaParams {
  /** Seconds of buffer below which the lowest rung is always chosen. */
  reservoir: number
  /** Seconds over which the rate map climbs from the lowest to the highest rung. */
  cushion: number
}

/**
 * Defaults from Pensieve's BBA baseline (sim/bb.py: RESEVOIR = 5, CUSHION = 10),
 * the usual scaling of the paper's 90 s / 126 s (for a 240 s buffer) to players
 * that buffer tens of seconds.
 */
export const BBA_DEFAULTS: BbaParams = { reservoir: 5, cushion: 10 }

/**
 * BBA-0 (Huang et al., "A Buffer-Based Approach to Rate Adaptation", SIGCOMM
 * 2014, Algorithm 1): a rate map f(B) linear from R_min at the reservoir to
 * R_max at reservoir + cushion; stay on the current rate until f(B) crosses
 * the next rate up or down, then move to the highest rate below f(B) (up) or
 * the lowest rate above it (down).
 */
export class Bba implements AbrPolicy {
  readonly name = 'bba'
  readonly params: BbaParams

  constructor(
    private readonly ladder: Ladder,
    params: Partial<BbaParams> = {},
  ) {
    this.params = { ...BBA_DEFAULTS, ...params }
  }

  /** f(B), bit/s. */
  rateMap(buffer: number): number {
    const r = this.ladder.bitrates
    const min = r[0]!
    const max = r[r.length - 1]!
    const { reservoir, cushion } = this.params
    if (buffer <= reservoir) return min
    if (buffer >= reservoir + cushion) return max
    return min + ((max - min) * (buffer - reservoir)) / cushion
  }

  chooseRung(s: AbrState): number {
    const r = this.ladder.bitrates
    const top = r.length - 1
    const { reservoir, cushion } = this.params
    const B = s.bufferLevel
    if (B <= reservoir) return 0
    if (B >= reservoir + cushion) return top
    const prev = Math.max(s.lastRung, 0)
    const f = this.rateMap(B)
    const plus = prev === top ? r[top]! : r[prev + 1]!
    const minus = prev === 0 ? r[0]! : r[prev - 1]!
    if (f >= plus) {
      let q = 0
      for (let i = 0; i <= top; i++) if (r[i]! < f) q = i
      return q
    }
    if (f <= minus) {
      for (let i = 0; i <= top; i++) if (r[i]! > f) return i
      return top
    }
    return prev
  }

  onDownload(_d: DownloadSample): void {}
}
