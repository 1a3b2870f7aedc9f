import type { Ladder } from '../ladder.js'
import { Bola, BOLA_MINIMUM_BUFFER_S, DASH_STABLE_BUFFER_TIME_S, defaultBolaTarget } from './bola.js'
import { hlsAbandonRule } from './abandon.js'
import { highestRungAtMost, type AbrPolicy, type AbrState, type DownloadProgress, type DownloadSample } from './types.js'

export interface DynamicParams {
  /** dash.js stableBufferTime: BOLA takes over above it, throughput returns below half of it. */
  stableBufferTime: number
  /** dash.js bandwidthSafetyFactor applied by its ThroughputRule. */
  bandwidthSafetyFactor: number
  /** Downloads averaged for the throughput estimate (dash.js AVERAGE_THROUGHPUT_SAMPLE_AMOUNT_VOD). */
  throughputSamples: number
  minimumBuffer: number
  bufferTarget: number
}

/**
 * dash.js's DYNAMIC ABR strategy (AbrController `_updateDynamicAbrStrategy`):
 * the ThroughputRule while the buffer is low, BOLA once the buffer exceeds
 * stableBufferTime, back to throughput when it drops under half of it (the
 * hysteresis keeps the rules from flapping). The throughput side is dash.js's
 * sliding-window mean of the last 4 downloads × 0.9; the BOLA side is
 * BOLA-BASIC with dash.js's parameters (sim/abr/bola.ts).
 */
export class Dynamic implements AbrPolicy {
  readonly name = 'dynamic'
  readonly params: DynamicParams
  private readonly bola: Bola
  private readonly samples: number[] = []
  private useBola = false

  constructor(private readonly ladder: Ladder, params: Partial<DynamicParams> = {}) {
    const stable = params.stableBufferTime ?? DASH_STABLE_BUFFER_TIME_S
    this.params = {
      stableBufferTime: stable,
      bandwidthSafetyFactor: 0.9,
      throughputSamples: 4,
      minimumBuffer: BOLA_MINIMUM_BUFFER_S,
      bufferTarget: Math.max(stable, defaultBolaTarget(ladder.rungs.length)),
      ...params,
    }
    this.bola = new Bola(ladder, { minimumBuffer: this.params.minimumBuffer, bufferTarget: this.params.bufferTarget })
  }

  /** Mean of the recent downloads' throughput, bit/s (0 before any). */
  throughput(): number {
    if (this.samples.length === 0) return 0
    let sum = 0
    for (const x of this.samples) sum += x
    return sum / this.samples.length
  }

  /** Whether the last decision used BOLA. */
  get usingBola(): boolean {
    return this.useBola
  }

  chooseRung(s: AbrState): number {
    const threshold = this.useBola ? 0.5 * this.params.stableBufferTime : this.params.stableBufferTime
    this.useBola = s.bufferLevel > threshold
    if (this.useBola) return this.bola.chooseRung(s)
    const tp = this.throughput()
    return tp > 0 ? highestRungAtMost(this.ladder.bitrates, tp * this.params.bandwidthSafetyFactor) : 0
  }

  onDownload(d: DownloadSample): void {
    if (!(d.duration > 0)) return
    this.samples.push((d.bytes * 8) / d.duration)
    if (this.samples.length > this.params.throughputSamples) this.samples.shift()
  }

  abandon(p: DownloadProgress): number {
    const tp = this.throughput()
    return tp > 0 ? hlsAbandonRule(p, this.ladder.bitrates, 0, tp) : -1
  }
}
