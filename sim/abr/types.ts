import type { Ladder } from '../manifest/ladder.js'

/**
 * The ABR boundary. A policy sees only what a real player sees, so the same
 * object runs in virtual time (sim/engine/engine.ts) and in an HTTP-mode player:
 * the ladder (bitrates, per-segment sizes when the manifest gives them), the
 * buffer, the next segment's index, and a stream of completed downloads.
 */
export interface AbrState {
  /** Player clock, seconds since the session started. */
  now: number
  /** Seconds of media buffered ahead of the playhead. */
  bufferLevel: number
  /** Index of the segment about to be requested (0-based). */
  segmentIndex: number
  /** Rung of the previous segment, -1 before the first. */
  lastRung: number
  /** True while the playhead moves (not starting up, not stalled). */
  playing: boolean
}

/** One completed segment download, reported to the policy after it lands. */
export interface DownloadSample {
  segmentIndex: number
  rung: number
  bytes: number
  /** Request sent, player clock seconds. */
  requestTime: number
  /** Request to first byte, seconds. */
  ttfb: number
  /** Request to last byte, seconds. */
  duration: number
  /** Buffer just after the segment was appended, seconds (BOLA-E trims its placeholder with it). */
  bufferLevel: number
}

/** Progress of the download in flight, for the optional abandonment hook. */
export interface DownloadProgress {
  segmentIndex: number
  rung: number
  /** Seconds since the request was sent. */
  elapsed: number
  /** Request to first byte, seconds, or -1 while no byte has arrived. */
  ttfb: number
  loadedBytes: number
  /** The segment's size when the manifest says it, else its estimate from the bitrate. */
  totalBytes: number
  segmentDuration: number
  bufferLevel: number
}

export interface AbrPolicy {
  readonly name: string
  /** The rung (index into ladder.rungs, ascending bitrate) for the next segment. */
  chooseRung(state: AbrState): number
  onDownload(sample: DownloadSample): void
  /** Return a lower rung to abandon the download in flight and refetch there, or -1 to carry on. */
  abandon?(progress: DownloadProgress): number
  /**
   * Seconds after the request before `abandon` can return a rung (its grace time), so the engine can skip the
   * checks before it. Only for rules whose early checks change nothing (no per-check state).
   */
  abandonAfter?(segmentDuration: number): number
  /**
   * After `abandon` returned -1: an elapsed time (seconds since the request) before which it surely returns -1
   * again for this download, given that the buffer falls at most 1 s per s and bytes only accumulate (Infinity:
   * not in this download). Lets the engine skip checks whose answer is known; must be a true lower bound.
   */
  abandonQuietUntil?(progress: DownloadProgress): number
  /**
   * Seconds to wait before requesting the rung just chosen (BOLA-O and BOLA-E
   * pause rather than overfill the buffer with a low rung: dash.js
   * setTimeToLoadDelay, Sabre's get_quality_delay). Called right after chooseRung.
   */
  requestDelay?(): number
}

/** A parameter value as the CLI and profiles give it: a number, or a variant name. */
export type AbrParamValue = number | string
export type AbrParams = Record<string, AbrParamValue>

/** What a policy knows about the player besides the ladder. */
export interface AbrContext {
  /** The player's buffer cap, seconds: BOLA sizes its targets from it. */
  bufferCap: number
}

export type AbrFactory = (ladder: Ladder, params?: AbrParams, context?: AbrContext) => AbrPolicy

/** Highest rung whose bitrate is at most `bps` (0 when none is). */
export function highestRungAtMost(bitrates: Float64Array, bps: number): number {
  let r = 0
  for (let i = 1; i < bitrates.length; i++) if (bitrates[i]! <= bps) r = i
  return r
}
