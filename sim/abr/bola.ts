import type { Ladder } from '../ladder.js'
import type { AbrPolicy, AbrState, DownloadSample } from './types.js'

export interface BolaParams {
  /** Q_min, seconds: at or below this buffer BOLA picks the lowest rung (dash.js MINIMUM_BUFFER_S). */
  minimumBuffer: number
  /** Q_max, seconds: the buffer level at which BOLA reaches the top rung; default max(12, 10 + 2 × rungs) as dash.js derives it from stableBufferTime. */
  bufferTarget: number
}

export const BOLA_MINIMUM_BUFFER_S = 10
/** dash.js stableBufferTime default and MINIMUM_BUFFER_PER_BITRATE_LEVEL_S. */
export const DASH_STABLE_BUFFER_TIME_S = 12
const MINIMUM_BUFFER_PER_RUNG_S = 2

export const defaultBolaTarget = (rungs: number): number => Math.max(DASH_STABLE_BUFFER_TIME_S, BOLA_MINIMUM_BUFFER_S + MINIMUM_BUFFER_PER_RUNG_S * rungs)

/**
 * Control parameters from the buffer target, as BOLA's authors do in the
 * paper's parameter discussion and in dash.js's BolaRule: with utilities
 * v_m = ln(S_m / S_1), choose V and γp so that the lowest rung wins up to
 * Q_min and the top rung from Q_max (the "−1" leaves room for one segment):
 *   V·(γp − 1) = Q_min   and   V·(v_M + γp − 1) = Q_max
 * ⇒ V = (Q_max − Q_min) / v_M,  γp = 1 + Q_min / V.
 */
export function bolaParameters(bitrates: Float64Array, minimumBuffer: number, bufferTarget: number): { V: number; gammaP: number; utilities: Float64Array } {
  const utilities = bitrates.map((b) => Math.log(b / bitrates[0]!))
  const vM = utilities[utilities.length - 1]!
  if (!(vM > 0) || !(bufferTarget > minimumBuffer)) return { V: 0, gammaP: 0, utilities }
  const V = (bufferTarget - minimumBuffer) / vM
  return { V, gammaP: 1 + minimumBuffer / V, utilities }
}

/**
 * BOLA-BASIC (Spiteri, Urgaonkar, Sitaraman, "BOLA: Near-Optimal Bitrate
 * Adaptation for Online Videos", INFOCOM 2016): for each segment pick the rung
 * m maximising (V·(v_m + γp) − Q) / S_m, Q the buffer level. S_m is the rung's
 * bitrate (sizes per second, so Q and V stay in seconds); ties go to the
 * higher rung as in dash.js.
 */
export class Bola implements AbrPolicy {
  readonly name = 'bola'
  readonly params: BolaParams
  readonly V: number
  readonly gammaP: number
  private readonly utilities: Float64Array

  constructor(private readonly ladder: Ladder, params: Partial<BolaParams> = {}) {
    this.params = { minimumBuffer: BOLA_MINIMUM_BUFFER_S, bufferTarget: defaultBolaTarget(ladder.rungs.length), ...params }
    const p = bolaParameters(ladder.bitrates, this.params.minimumBuffer, this.params.bufferTarget)
    this.V = p.V
    this.gammaP = p.gammaP
    this.utilities = p.utilities
  }

  score(rung: number, buffer: number): number {
    return (this.V * (this.utilities[rung]! + this.gammaP) - buffer) / this.ladder.bitrates[rung]!
  }

  chooseRung(s: AbrState): number {
    if (this.V === 0) return 0
    let best = 0
    let bestScore = -Infinity
    for (let m = 0; m < this.utilities.length; m++) {
      const sc = this.score(m, s.bufferLevel)
      if (sc >= bestScore) {
        bestScore = sc
        best = m
      }
    }
    return best
  }

  onDownload(_d: DownloadSample): void {}
}
