import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { hlsAbandonQuietUntil, hlsAbandonRule } from '../abr/abandon.js'
import type { AbrPolicy, DownloadProgress, DownloadSample } from '../abr/types.js'
import type { Ladder } from '../manifest/ladder.js'
import type { Trace } from '../trace/trace.js'
import { QOE_DEFAULTS, type QoeWeights, type SessionMetrics } from './metrics.js'
import { PlaybackAccount } from './playback.js'

export interface SessionOptions {
  /** Seconds of media the player buffers ahead at most (hls.js maxBufferLength, dash.js bufferTimeAtTopQuality: 30). */
  bufferCap: number
  /** Seconds buffered before playback starts; default one segment. */
  startupThreshold?: number
  /** Seconds buffered before playback resumes after a stall; default one segment. */
  rebufferThreshold?: number
  /** Request latency when the trace carries none, seconds (Pensieve's LINK_RTT: 80 ms). */
  rtt: number
  /** Abandon a download that would cause a stall (the policy's own hook, else the hls.js rule). */
  abandonment: boolean
  /** How often an in-flight download is checked for abandonment, seconds (hls.js checks every 100 ms; Sabre every 50 ms). */
  abandonCheckInterval: number
  /**
   * After an abandonment: `abandon-rung` refetches the segment at the rung the rule named (hls.js, dash.js, and
   * what Sabre means to do); `rechoose` asks the policy again, which is what Sabre actually does (its main loop
   * stores the abandon-to rung as `abandon_to_quality` but reads `abandoned_to_quality`, which stays None).
   */
  afterAbandon: 'abandon-rung' | 'rechoose'
  /**
   * 0: check every abandonCheckInterval from the request. Above 0: Sabre's NetworkModel schedule, a check once
   * at least this many more bytes (min_progress_size: 12000 bits) and the interval (min_progress_time) have passed,
   * the first counted from the first byte with the latency spent against the interval.
   */
  abandonCheckBytes: number
  /**
   * Skip the abandonment checks a rule proves it would answer -1 to (its grace time, abandonQuietUntil). Results are
   * identical either way (test/sim/abandon-skip.test.ts holds the two to it); false runs every check, the plain
   * reference loop, only slower.
   */
  abandonSkips: boolean
  /** Play at most this many seconds of the title (whole segments); default all of it. */
  maxDuration?: number
  /** Where in the trace the session starts, seconds. */
  traceOffset: number
  /** Keep per-segment records and the buffer curve, for plots. */
  record: boolean
  qoe: QoeWeights
}

export const SESSION_DEFAULTS: SessionOptions = {
  bufferCap: 30,
  rtt: 0.08,
  abandonment: false,
  abandonCheckInterval: 0.1,
  afterAbandon: 'abandon-rung',
  abandonCheckBytes: 0,
  abandonSkips: true,
  traceOffset: 0,
  record: false,
  qoe: QOE_DEFAULTS,
}

export interface SegmentRecord {
  index: number
  rung: number
  bytes: number
  requestTime: number
  finishTime: number
  /** Buffer just after the segment was appended, seconds. */
  bufferAfter: number
  /** Bytes of abandoned attempts at this segment. */
  wastedBytes: number
}

export interface SessionTimeline {
  segments: SegmentRecord[]
  /** Buffer level over time as a polyline, [time, seconds] pairs. */
  buffer: Array<[number, number]>
  /** Stall intervals after playback started, [start, end]. */
  stalls: Array<[number, number]>
}

export interface SessionResult {
  algorithm: string
  trace: string
  ladder: string
  metrics: SessionMetrics
  timeline?: SessionTimeline
}

/**
 * One playback session in virtual time. Event-driven: the clock jumps from one
 * event (request, download complete, buffer has room) to the next; downloads
 * are one at a time and take request latency plus the trace's throughput
 * integrated exactly over the bytes. Nothing here is random, so a session is a
 * pure function of its inputs.
 *
 * Companions (audio, subtitles: Ladder.companions) are fetched as hls.js's and
 * dash.js's separate audio/subtitle stream controllers do, in parallel with the
 * video segment they go with, on the same link: the pair takes one latency and
 * the link's time for video + companion bytes, and the segment counts in the
 * buffer once both are in. The ABR policy's sample is the video segment's bytes
 * over that time: hls.js samples only main-playlist fragments (abr-controller
 * ignoreFragment) and dash.js keeps a throughput history per media type, and a
 * video download that shares the link takes that long. With abandonment on, a
 * segment and its companions are abandoned and refetched together.
 */
export function runSession(ladder: Ladder, trace: Trace, policy: AbrPolicy, options: Partial<SessionOptions> = {}): SessionResult {
  const o: SessionOptions = { ...SESSION_DEFAULTS, ...options }
  const durs = ladder.segmentDurations
  let n = durs.length
  if (o.maxDuration !== undefined) {
    let acc = 0
    let k = 0
    while (k < n && acc < o.maxDuration - 1e-9) acc += durs[k++]!
    n = Math.max(1, k)
  }
  const startupThreshold = o.startupThreshold ?? ladder.segmentDuration
  const rebufferThreshold = o.rebufferThreshold ?? ladder.segmentDuration
  validate(o, ladder, startupThreshold, rebufferThreshold)

  const bitrates = ladder.bitrates
  const rungs = ladder.rungs
  const offset = o.traceOffset
  const companion = ladder.companions ? ladder.companions.bytes : null
  const play = new PlaybackAccount(ladder, { bufferCap: o.bufferCap, startupThreshold, rebufferThreshold, record: o.record, qoe: o.qoe })
  const sample: DownloadSample = { segmentIndex: 0, rung: 0, bytes: 0, requestTime: 0, ttfb: 0, duration: 0, bufferLevel: 0 }
  const progress: DownloadProgress = { segmentIndex: 0, rung: 0, elapsed: 0, ttfb: -1, loadedBytes: 0, totalBytes: 0, segmentDuration: 0, bufferLevel: 0 }
  const abandonHook = o.abandonment ? (policy.abandon ? policy.abandon.bind(policy) : defaultAbandon(bitrates)) : null
  // Checks before the rule's grace time cannot abandon: skip them (whole steps, so the check grid is unchanged).
  const quietUntil =
    !o.abandonment || !o.abandonSkips ? null : policy.abandon ? (policy.abandonQuietUntil ? policy.abandonQuietUntil.bind(policy) : null) : hlsAbandonQuietUntil
  const abandonAfter =
    !o.abandonment || !o.abandonSkips ? null : policy.abandon ? (policy.abandonAfter ? policy.abandonAfter.bind(policy) : null) : (d: number) => d / 2

  for (let i = 0; i < n; i++) {
    const segDur = durs[i]!
    const wait = play.waitForRoom(segDur)
    if (wait > 0) {
      play.mark()
      play.advance(wait)
    }
    play.mark()
    let rung = choose(policy, play, i, rungs.length)
    let wasted = 0
    let reqStart = play.t
    let bytes: number
    let latency: number
    let finish: number
    let attempts = 0
    for (;;) {
      bytes = companion === null ? rungs[rung]!.bytes[i]! : rungs[rung]!.bytes[i]! + companion[i]!
      latency = trace.latencyAt(offset + reqStart) ?? o.rtt
      const firstByte = reqStart + latency
      // trace.downloadFinishTime, with the bytes before the first byte kept for the abandonment checks.
      const startBytes = trace.bytesBefore(offset + firstByte)
      finish = trace.timeForBytes(startBytes + bytes) - offset
      if (!abandonHook || rung === 0 || ++attempts > MAX_ABANDONMENTS_PER_SEGMENT) break
      let next = -1
      // The link's lowest rate over the whole download, when the bound from the first byte scanned it: the rest of the
      // download lies inside that span, so the same rate bounds what arrives from any later check, with no second scan.
      // (Rules with a grace time are first asked half a segment in, and scan from there, a tighter rate.)
      let downloadRate = NOT_SCANNED
      const byBytes = o.abandonCheckBytes > 0
      const skip = abandonAfter && !byBytes ? Math.max(0, Math.floor(abandonAfter(segDur) / o.abandonCheckInterval) - 1) : 0
      // The k-th check of the fixed grid is at reqStart + k·interval (a product, not a running sum, so skipping k is exact).
      let k = 1 + skip
      let tk = byBytes
        ? Math.max(firstByte + Math.max(0, o.abandonCheckInterval - latency), trace.timeForBytes(startBytes + o.abandonCheckBytes) - offset)
        : reqStart + o.abandonCheckInterval * k
      if (quietUntil && !abandonAfter && tk < finish) {
        // Before any check, the bound from the first byte (no bytes in yet): most downloads end inside it. Rules
        // with a grace time measure from bytes in, so theirs starts at the first check after the grace.
        progress.segmentIndex = i
        progress.rung = rung
        progress.elapsed = latency
        progress.ttfb = latency
        progress.loadedBytes = 0
        progress.totalBytes = bytes
        progress.segmentDuration = segDur
        progress.bufferLevel = play.playing ? Math.max(0, play.buffer - (firstByte - play.t)) : play.buffer
        downloadRate = trace.minRateBetween(offset + firstByte, offset + finish, MIN_RATE_SCAN)
        const quiet = reqStart + quietUntil(progress, downloadRate, downloadRate > 0 ? finish - firstByte : 0)
        if (quiet >= finish) break
        if (!byBytes && quiet >= tk + o.abandonCheckInterval) {
          k += Math.floor((quiet - tk) / o.abandonCheckInterval)
          tk = reqStart + o.abandonCheckInterval * k
        }
      }
      while (tk < finish) {
        progress.segmentIndex = i
        progress.rung = rung
        progress.elapsed = tk - reqStart
        progress.ttfb = tk >= firstByte ? latency : -1
        progress.loadedBytes = tk > firstByte ? trace.bytesBefore(offset + tk) - startBytes : 0
        progress.totalBytes = bytes
        progress.segmentDuration = segDur
        progress.bufferLevel = play.playing ? Math.max(0, play.buffer - (tk - play.t)) : play.buffer
        if (quietUntil) {
          // Ask first when the rule could next answer, and jump to the last check before that (whole steps: the
          // grid is unchanged). Past the first byte the link's lowest rate until the download ends is how fast bytes
          // at least arrive (on traces too fine-grained to scan cheaply, nothing is said).
          let rate = 0
          let window = 0
          if (tk > firstByte) {
            rate = downloadRate === NOT_SCANNED ? trace.minRateBetween(offset + tk, offset + finish, MIN_RATE_SCAN) : downloadRate
            window = rate > 0 ? finish - tk : 0
          }
          const quiet = reqStart + quietUntil(progress, rate, window)
          if (quiet >= finish) break
          if (!byBytes && quiet >= tk + o.abandonCheckInterval) {
            k += Math.floor((quiet - tk) / o.abandonCheckInterval)
            tk = reqStart + o.abandonCheckInterval * k
            continue
          }
        }
        next = abandonHook(progress)
        if (next >= 0 && next < rung) break
        tk = byBytes
          ? Math.max(tk + o.abandonCheckInterval, trace.timeForBytes(trace.bytesBefore(offset + tk) + o.abandonCheckBytes) - offset)
          : reqStart + o.abandonCheckInterval * ++k
      }
      if (next < 0 || next >= rung) break
      play.advance(tk - play.t)
      wasted += progress.loadedBytes
      play.abandonments++
      rung = o.afterAbandon === 'rechoose' ? choose(policy, play, i, rungs.length) : next
      reqStart = play.t
    }
    play.advance(finish - play.t)
    play.land(i, rung, bytes, wasted, reqStart, i === n - 1)

    sample.segmentIndex = i
    sample.rung = rung
    sample.bytes = companion === null ? bytes : bytes - companion[i]!
    sample.requestTime = reqStart
    sample.ttfb = latency
    sample.duration = finish - reqStart
    sample.bufferLevel = play.buffer
    policy.onDownload(sample)
  }
  const { metrics, timeline } = play.finish(n)
  if (companion !== null) metrics.companionBytes = companion.subarray(0, n).reduce((a, b) => a + b, 0)
  const result: SessionResult = { algorithm: policy.name, trace: trace.name, ladder: ladder.name, metrics }
  if (timeline) result.timeline = timeline
  return result
}

/** Trace periods scanned for the link's lowest rate during a download (1 s periods: a few; packet traces: too many). */
const MIN_RATE_SCAN = 16

const NOT_SCANNED = -2

/** A segment is abandoned at most this often: a rule that keeps abandoning (Sabre's rechoose path can) then finishes it. */
const MAX_ABANDONMENTS_PER_SEGMENT = 32

/** The policy's rung for segment i, after the pause it asks for (BOLA-O, BOLA-E) has passed on the player clock. */
function choose(policy: AbrPolicy, play: PlaybackAccount, i: number, count: number): number {
  const rung = checkedRung(policy, policy.chooseRung(play.abrState(i)), count)
  const delay = policy.requestDelay ? policy.requestDelay() : 0
  if (delay > 0) {
    play.advance(delay)
    play.mark()
  }
  return rung
}

function checkedRung(policy: AbrPolicy, rung: number, count: number): number {
  if (!Number.isInteger(rung) || rung < 0 || rung >= count) {
    throw new OclabError(ErrorCodes.BAD_CONFIG, `ABR policy "${policy.name}" returned rung ${rung}; the ladder has rungs 0..${count - 1}`)
  }
  return rung
}

/** For policies without their own hook: hls.js's rule driven by the download's own progress. */
function defaultAbandon(bitrates: Float64Array): (p: DownloadProgress) => number {
  return (p) => (p.loadedBytes > 0 ? hlsAbandonRule(p, bitrates, 0, Infinity) : -1)
}

function validate(o: SessionOptions, ladder: Ladder, startup: number, rebuffer: number): void {
  const bad = (msg: string) => new OclabError(ErrorCodes.BAD_CONFIG, msg)
  let maxSeg = 0
  for (const d of ladder.segmentDurations) if (d > maxSeg) maxSeg = d
  if (!(o.bufferCap >= maxSeg)) throw bad(`buffer cap ${o.bufferCap} s must hold at least one segment (${maxSeg} s)`)
  if (!(startup >= 0 && startup <= o.bufferCap)) throw bad(`startup threshold ${startup} s must be between 0 and the buffer cap ${o.bufferCap} s`)
  if (!(rebuffer >= 0 && rebuffer <= o.bufferCap)) throw bad(`rebuffer threshold ${rebuffer} s must be between 0 and the buffer cap ${o.bufferCap} s`)
  if (!(o.rtt >= 0)) throw bad(`rtt ${o.rtt} s must not be negative`)
  if (!(o.abandonCheckInterval > 0)) throw bad('the abandonment check interval must be positive')
  if (!(o.abandonCheckBytes >= 0)) throw bad('the abandonment check byte step must not be negative')
  if (!(o.traceOffset >= 0)) throw bad('the trace offset must not be negative')
  if (o.maxDuration !== undefined && !(o.maxDuration > 0)) throw bad('the session duration must be positive')
}
