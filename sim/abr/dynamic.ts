import type { Ladder } from '../manifest/ladder.js'
import { Bola, type BolaParams } from './bola.js'
import { BolaE, type BolaEParams } from './bolae.js'
import { makeEstimator, type ThroughputEstimator } from './estimators.js'
import { InsufficientBufferRule, SafeThroughputRule, ThroughputAbandonment } from './throughput-safe.js'
import { type AbrContext, type AbrPolicy, type AbrState, type DownloadProgress, type DownloadSample, highestRungAtMost } from './types.js'

export interface DynamicParams extends BolaEParams {
  /** BolaParams of the Sabre variant's BOLA half. */
  bola: BolaParams
  /** Sabre Dynamic.low_buffer_threshold: 10 s (the sabre variant's one switch point). */
  switchThreshold: number
}

/**
 * DYNAMIC: throughput while the buffer is low, BOLA once it is high.
 *
 * `dashjs` (dash.js v4 AbrController `_updateDynamicAbrStrategy`, the default
 * ABRStrategy): BOLA-E (BolaRule) once the buffer exceeds stableBufferTime
 * (12 s), back to ThroughputRule below half of it; the active rule's rung is
 * capped by InsufficientBufferRule; AbandonRequestsRule abandons. Both halves
 * read dash.js's one throughput history.
 *
 * `sabre` (Sabre `Dynamic`): BOLA (BOLA-U) and Sabre's ThroughputRule both
 * decide every segment; BOLA takes over when the buffer is above 10 s and
 * BOLA's rung is at least throughput's, throughput takes back over below
 * 10 s when BOLA's rung is lower; abandonment is always the throughput rule's.
 */
export class Dynamic implements AbrPolicy {
  readonly name = 'dynamic'
  readonly params: DynamicParams
  readonly estimator: ThroughputEstimator
  private readonly tput: SafeThroughputRule
  private readonly bola: Bola | null
  private readonly bolae: BolaE | null
  private readonly ibr: InsufficientBufferRule
  private readonly abandonment: ThroughputAbandonment
  private useBola = false
  private delay = 0

  constructor(
    private readonly ladder: Ladder,
    params: DynamicParams,
    context: AbrContext,
  ) {
    this.params = params
    this.estimator = makeEstimator(params)
    const dash = params.variant === 'dashjs'
    // dash.js applies InsufficientBufferRule once, over whichever rule is active.
    const inner = dash ? { ...params, ibr: 'off' as const } : params
    this.tput = new SafeThroughputRule(ladder, inner, this.estimator)
    this.bola = dash ? null : new Bola(ladder, params.bola, context, this.estimator)
    this.bolae = dash ? new BolaE(ladder, inner, context, this.estimator) : null
    this.ibr = new InsufficientBufferRule(ladder, dash ? params : { ...params, ibr: 'off' })
    this.abandonment = new ThroughputAbandonment(ladder.bitrates, params, this.estimator)
  }

  /** Whether the last decision used BOLA. */
  get usingBola(): boolean {
    return this.useBola
  }

  chooseRung(s: AbrState): number {
    this.delay = 0
    if (s.lastRung < 0 || !(this.estimator.throughput() > 0)) return highestRungAtMost(this.ladder.bitrates, this.params.startBitrate)
    if (this.bolae) {
      // dash.js 5.2.1 _updateDynamicAbrStrategy: on above hybridSwitchBufferTime, off below half of it.
      const threshold = this.useBola ? 0.5 * this.params.hybridSwitchBufferTime : this.params.hybridSwitchBufferTime
      this.useBola = s.bufferLevel > threshold
      let q: number
      if (this.useBola) {
        q = this.bolae.chooseRung(s)
        this.delay = this.bolae.requestDelay()
      } else q = this.tput.chooseRung(s)
      const cap = this.ibr.cap(s, this.estimator.throughput(), this.estimator.latency())
      if (cap < q) {
        q = cap
        this.delay = 0
      }
      return q
    }
    const b = this.bola!.chooseRung(s)
    const bDelay = this.bola!.requestDelay()
    const t = this.tput.chooseRung(s)
    if (this.useBola) {
      if (s.bufferLevel < this.params.switchThreshold && b < t) this.useBola = false
    } else if (s.bufferLevel > this.params.switchThreshold && b >= t) this.useBola = true
    if (this.useBola) this.delay = bDelay
    return this.useBola ? b : t
  }

  requestDelay(): number {
    return this.delay
  }

  onDownload(d: DownloadSample): void {
    this.estimator.sample(d.bytes, d.duration - d.ttfb, d.ttfb)
    this.tput.onDownload(d)
    this.bola?.onDownload(d)
    this.bolae?.onDownload(d)
    this.ibr.onDownload()
  }

  abandonAfter(segmentDuration: number): number {
    return this.abandonment.after(segmentDuration)
  }

  abandonQuietUntil(p: DownloadProgress, rate?: number, window?: number): number {
    return this.abandonment.quietUntil(p, rate, window)
  }

  abandon(p: DownloadProgress): number {
    const to = this.abandonment.check(p)
    if (to >= 0) this.bolae?.noteAbandon(p, to)
    return to
  }
}
