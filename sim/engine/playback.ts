import type { AbrState } from '../abr/types.js'
import type { Ladder } from '../manifest/ladder.js'
import type { SegmentRecord, SessionTimeline } from './engine.js'
import type { QoeWeights, SessionMetrics } from './metrics.js'

const STARTUP = 0
const PLAYING = 1
const STALLED = 2

export interface PlaybackOptions {
  bufferCap: number
  startupThreshold: number
  rebufferThreshold: number
  record: boolean
  qoe: QoeWeights
}

/**
 * The player's side of a session, whatever drives its clock: buffer, startup,
 * stalls, and every QoE number. The virtual-time engine advances it by
 * computed download times; the HTTP-mode player by (scaled) wall-clock time.
 * Sharing it is what makes the two modes report the same metrics.
 */
export class PlaybackAccount {
  t = 0
  buffer = 0
  private state = STARTUP
  private startupDelay = 0
  private rebufferTime = 0
  private rebufferCount = 0
  private stallStart = 0
  private bytesPlayed = 0
  private bytesWasted = 0
  abandonments = 0
  lastRung = -1
  private switches = 0
  private switchesUp = 0
  private switchesDown = 0
  private switchSum = 0
  private bitrateSum = 0
  private segmentMbpsSum = 0
  private qualitySum = 0
  private playedTime = 0
  private readonly timeAtRung: number[]
  private readonly crossings: number[]
  private readonly quality: boolean
  private readonly segments: SegmentRecord[] = []
  private readonly bufferCurve: Array<[number, number]> = []
  private readonly stalls: Array<[number, number]> = []
  private readonly st: AbrState = { now: 0, bufferLevel: 0, segmentIndex: 0, lastRung: -1, playing: false }

  constructor(
    private readonly ladder: Ladder,
    private readonly o: PlaybackOptions,
  ) {
    this.timeAtRung = new Array<number>(ladder.rungs.length).fill(0)
    this.crossings = new Array<number>(Math.max(0, ladder.rungs.length - 1)).fill(0)
    this.quality = ladder.qualityMetric !== null
    if (o.record) this.bufferCurve.push([0, 0])
  }

  get playing(): boolean {
    return this.state === PLAYING
  }

  /** Let dt seconds pass with no download landing: the playhead drains the buffer or stalls. */
  advance(dt: number): void {
    if (this.state === PLAYING) {
      if (this.buffer >= dt) this.buffer -= dt
      else {
        this.stallStart = this.t + this.buffer
        if (this.o.record) this.bufferCurve.push([this.stallStart, 0])
        this.rebufferTime += dt - this.buffer
        this.rebufferCount++
        this.buffer = 0
        this.state = STALLED
      }
    } else if (this.state === STALLED) this.rebufferTime += dt
    this.t += dt
  }

  /** Seconds to wait before a segment of `segDur` fits under the buffer cap (0 when it fits now). */
  waitForRoom(segDur: number): number {
    return this.state === PLAYING && this.buffer + segDur > this.o.bufferCap ? this.buffer + segDur - this.o.bufferCap : 0
  }

  mark(): void {
    if (this.o.record) this.bufferCurve.push([this.t, this.buffer])
  }

  /** What the ABR policy sees before segment i; the object is reused. */
  abrState(i: number): AbrState {
    const st = this.st
    st.now = this.t
    st.bufferLevel = this.buffer
    st.segmentIndex = i
    st.lastRung = this.lastRung
    st.playing = this.state === PLAYING
    return st
  }

  /** Segment i at `rung` has landed now (after advance() brought the clock to its finish). */
  land(i: number, rung: number, bytes: number, wasted: number, requestTime: number, last: boolean): void {
    const segDur = this.ladder.segmentDurations[i]!
    const bitrates = this.ladder.bitrates
    this.mark()
    this.buffer += segDur
    if (this.state !== PLAYING && (this.buffer >= (this.state === STARTUP ? this.o.startupThreshold : this.o.rebufferThreshold) - 1e-9 || last)) {
      if (this.state === STARTUP) this.startupDelay = this.t
      else if (this.o.record) this.stalls.push([this.stallStart, this.t])
      this.state = PLAYING
    }
    this.mark()
    this.bytesPlayed += bytes
    this.bytesWasted += wasted
    this.timeAtRung[rung]! += segDur
    this.playedTime += segDur
    this.bitrateSum += bitrates[rung]! * segDur
    this.segmentMbpsSum += bitrates[rung]! / 1e6
    if (this.quality) this.qualitySum += this.ladder.rungs[rung]!.quality![i]! * segDur
    const lastRung = this.lastRung
    if (lastRung >= 0 && rung !== lastRung) {
      this.switches++
      if (rung > lastRung) this.switchesUp++
      else this.switchesDown++
      this.switchSum += Math.abs(bitrates[rung]! - bitrates[lastRung]!)
      for (let b = Math.min(rung, lastRung); b < Math.max(rung, lastRung); b++) this.crossings[b]!++
    }
    this.lastRung = rung
    if (this.o.record) this.segments.push({ index: i, rung, bytes, requestTime, finishTime: this.t, bufferAfter: this.buffer, wastedBytes: wasted })
  }

  /** Close the session after n segments: the playhead plays out what is buffered. */
  finish(n: number): { metrics: SessionMetrics; timeline?: SessionTimeline } {
    const sessionTime = this.t + this.buffer
    if (this.o.record) this.bufferCurve.push([sessionTime, 0])
    const q = this.o.qoe
    const qoe = this.segmentMbpsSum - q.rebuffer * this.rebufferTime - (q.switch * this.switchSum) / 1e6 - q.startup * this.startupDelay
    const metrics: SessionMetrics = {
      segments: n,
      startupDelay: this.startupDelay,
      rebufferCount: this.rebufferCount,
      rebufferTime: this.rebufferTime,
      averageBitrate: this.bitrateSum / this.playedTime,
      averageQuality: this.quality ? this.qualitySum / this.playedTime : null,
      qualityMetric: this.ladder.qualityMetric,
      switches: this.switches,
      switchesUp: this.switchesUp,
      switchesDown: this.switchesDown,
      averageSwitchSize: this.switches ? this.switchSum / this.switches : 0,
      bytesDownloaded: this.bytesPlayed + this.bytesWasted,
      bytesPlayed: this.bytesPlayed,
      wasteRatio: this.bytesWasted / (this.bytesPlayed + this.bytesWasted),
      abandonments: this.abandonments,
      timeAtRung: this.timeAtRung,
      boundaryCrossings: this.crossings,
      qoe,
      qoePerSegment: qoe / n,
      sessionTime,
    }
    return this.o.record ? { metrics, timeline: { segments: this.segments, buffer: this.bufferCurve, stalls: this.stalls } } : { metrics }
  }
}
