import { probeNumber } from './inspect-probe.js'

/**
 * One element of ffprobe's `packets_and_frames` array when run with
 * `-show_packets -show_frames -show_log 16`: packets in demux order,
 * interleaved with the frames the decoder returned after each packet, each
 * frame carrying the error messages logged since the previous frame.
 */
export interface DecodeEntry {
  type: 'packet' | 'frame'
  pts_time?: string
  dts_time?: string
  best_effort_timestamp_time?: string
  /** Packet flags, e.g. `K__`; a `C` marks a packet the demuxer knows is corrupt or cut short. */
  flags?: string
  logs?: { context?: string; message?: string }[]
}

export interface DecodeError {
  /** Seconds, as a presentation time in the source. */
  time: number
  message: string
}

export interface DecodeAnalysis {
  /** Frames the decoder returned. */
  frameCount: number
  /** Presentation times of the decoded frames that have one, ascending. */
  frameTimes: number[]
  /** The first decode error, if any. */
  error?: DecodeError
}

/** "[h264 @ 0x55d…] error while decoding MB 0 10" → "h264: error while decoding MB 0 10" */
export function cleanLogLine(line: string): string {
  const m = /^\s*\[([^\]@]+?) @ 0x[0-9a-f]+\]\s*(.*?)\s*$/i.exec(line)
  if (!m) return line.trim()
  return m[1] === 'NULL' ? m[2]! : `${m[1]}: ${m[2]}`
}

/**
 * Find the decoded frames and the first decode error.
 *
 * ffprobe decodes synchronously (we pass -threads 1), so messages logged
 * while decoding packet P are attached to the next frame printed after P. The
 * packets printed since the previous frame are the suspects; the first of
 * them is the one being decoded when the error struck (with B-frames the
 * frame the log lands on is an earlier picture leaving the reorder buffer, so
 * its own time would be wrong). A packet flagged corrupt by the demuxer (a
 * truncated file's last packet) counts as an error by itself. Errors that
 * reach stderr without landing on any frame (a demuxer giving up at the end)
 * are placed just after the last decoded frame.
 */
export function analyseDecode(entries: DecodeEntry[], stderr: string): DecodeAnalysis {
  const frameTimes: number[] = []
  let frameCount = 0
  let suspects: DecodeEntry[] = []
  let error: DecodeError | undefined
  const stderrLines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map(cleanLogLine)
  const packetTime = (p: DecodeEntry) => probeNumber(p.pts_time) ?? probeNumber(p.dts_time)
  for (const e of entries) {
    if (e.type === 'packet') {
      suspects.push(e)
      if (!error && e.flags?.includes('C')) {
        const time = packetTime(e)
        if (time !== undefined) error = { time, message: describe(['corrupt or truncated packet', ...stderrLines]) }
      }
      continue
    }
    frameCount++
    const t = probeNumber(e.best_effort_timestamp_time) ?? probeNumber(e.pts_time)
    if (t !== undefined) frameTimes.push(t)
    const logs = (e.logs ?? []).map((l) => cleanLogLine(l.message ?? ''))
    if (!error && logs.length) {
      const time = suspects.map(packetTime).find((x) => x !== undefined) ?? t
      if (time !== undefined) error = { time, message: describe(logs) }
    }
    suspects = []
  }
  frameTimes.sort((a, b) => a - b)
  if (!error && stderrLines.length) {
    const last = frameTimes.at(-1)
    const step = frameTimes.length > 1 ? medianInterval(frameTimes) : 0
    error = { time: last === undefined ? 0 : last + step, message: describe(stderrLines) }
  }
  return error ? { frameCount, frameTimes, error } : { frameCount, frameTimes }
}

/** The first two distinct messages, enough to explain without flooding a terminal. */
function describe(lines: string[]): string {
  const distinct = [...new Set(lines.filter(Boolean))]
  // mov's way of saying the file ends before its index says it should.
  const cut = distinct.find((l) => l.includes('partial file'))
  return cut ? `the file is truncated (${cut})` : distinct.slice(0, 2).join('; ')
}

export interface IntervalStats {
  /** Number of intervals between consecutive frames. */
  count: number
  /** Seconds. */
  median: number
  min: number
  max: number
  /** Intervals more than the tolerance away from the median. */
  irregular: number
}

/** Frame intervals deviating more than this fraction from the median count as irregular. */
export const INTERVAL_TOLERANCE = 0.1
/**
 * More irregular intervals than this fraction makes a stream variable-rate.
 * Millisecond timestamps (Matroska) jitter 29.97 fps between 33 and 34 ms,
 * well inside the 10 % tolerance, so a CFR source scores 0 here.
 */
export const MAX_IRREGULAR_FRACTION = 0.01

function medianInterval(sortedTimes: number[]): number {
  const d = intervals(sortedTimes).sort((a, b) => a - b)
  return d.length ? d[Math.floor(d.length / 2)]! : 0
}

const intervals = (sortedTimes: number[]): number[] => sortedTimes.slice(1).map((t, i) => t - sortedTimes[i]!)

export function intervalStats(sortedTimes: number[], tolerance = INTERVAL_TOLERANCE): IntervalStats {
  const d = intervals(sortedTimes)
  const median = medianInterval(sortedTimes)
  return {
    count: d.length,
    median,
    min: d.length ? Math.min(...d) : 0,
    max: d.length ? Math.max(...d) : 0,
    irregular: d.filter((x) => Math.abs(x - median) > tolerance * median).length,
  }
}

/**
 * Why the decoded timestamps show a variable frame rate, or undefined when
 * they are regular and agree with the declared rate.
 */
export function variableRateReason(stats: IntervalStats, declaredFps: number, maxIrregular = MAX_IRREGULAR_FRACTION): string | undefined {
  if (stats.count === 0 || stats.median <= 0) return undefined
  const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`
  if (stats.irregular > maxIrregular * stats.count) {
    return `variable frame rate: ${stats.irregular} of ${stats.count} frame intervals differ from the median ${ms(stats.median)} by more than ${INTERVAL_TOLERANCE * 100} % (${ms(stats.min)} to ${ms(stats.max)})`
  }
  const measured = 1 / stats.median
  if (Math.abs(measured - declaredFps) / declaredFps > INTERVAL_TOLERANCE) {
    return `frame timestamps advance at ${measured.toFixed(3)} fps but the stream declares ${declaredFps.toFixed(3)} fps`
  }
  return undefined
}
