import { open, stat } from 'node:fs/promises'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { ffprobePath, runProcess, stderrTail } from '../../lib/ffmpeg.js'
import { looksLikeIsoBmff } from '../../lib/media/boxes.js'
import type { Inspection } from '../../lib/title-package.js'
import { findShots, type ShotDetection } from '../ladder/shots.js'
import { analyseDecode, type DecodeEntry, intervalStats, variableRateReason } from './inspect-decode.js'
import { inspectionFromProbe, type ProbeResult, videoStreamOf } from './inspect-probe.js'

export interface InspectOptions {
  signal?: AbortSignal
  /** Skip the full decode pass: no corruption check, frame count from the container (default false). */
  quick?: boolean
  /** Frames per second (default 120). */
  maxFrameRate?: number
  /** Frames per second (default 10). */
  minFrameRate?: number
  /** Also detect shots (scene cuts) and list them in the report. Default false. */
  shots?: boolean | Partial<ShotDetection>
}

/**
 * Probe a source and reject it, with a clear OclabError, before any expensive
 * processing when it is not something the encoder can turn into a title:
 * not media (BAD_SOURCE), no video (NO_VIDEO), empty (ZERO_DURATION), a
 * variable or absurd frame rate (BAD_FRAME_RATE), or undecodable
 * (CORRUPT_SOURCE, found by decoding every video frame unless `quick`).
 */
export async function inspectSource(path: string, opts: InspectOptions = {}): Promise<Inspection> {
  const limits = { max: opts.maxFrameRate ?? 120, min: opts.minFrameRate ?? 10 }
  const bytes = await sourceSize(path)
  const probed = await probe(path, opts.signal)
  const report = inspectionFromProbe(path, bytes, probed, limits)
  // inspectionFromProbe has already rejected sources without a video stream.
  const checked = opts.quick ? report : applyDecodePass(report, await decodePass(path, videoStreamOf(probed)!.index, opts.signal))
  if (!opts.shots) return checked
  const shots = await findShots(path, checked.video.frameRate, opts.shots === true ? {} : opts.shots, opts.signal)
  const covered = shots.reduce((s, x) => s + x.frames, 0)
  // the decode pass counted the frames; a scene pass that saw another number (odd timestamps, edit lists)
  // gives no shot list rather than a wrong one
  if (!opts.quick && covered !== checked.video.frameCount) {
    return { ...checked, warnings: [...checked.warnings, `shot detection saw ${covered} frames, the decode pass ${checked.video.frameCount}: no shot list`] }
  }
  return { ...checked, shots }
}

async function sourceSize(path: string): Promise<number> {
  let st: Awaited<ReturnType<typeof stat>>
  try {
    st = await stat(path)
  } catch (err) {
    throw new OclabError(ErrorCodes.BAD_SOURCE, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, undefined, {
      cause: err,
    })
  }
  if (!st.isFile()) throw new OclabError(ErrorCodes.BAD_SOURCE, `${path} is not a file`)
  if (st.size === 0) throw new OclabError(ErrorCodes.BAD_SOURCE, `${path} is empty (0 bytes)`)
  return st.size
}

/** The first bytes of a file (fewer when it is shorter). */
async function fileHead(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.alloc(bytes)
    const { bytesRead } = await fh.read(buf, 0, bytes, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}

/**
 * ffprobe's own verdict decides between "not media" and "media whose index
 * is missing": an MP4 without its moov box is what a copy cut short (or one
 * still being written) looks like, so that is CORRUPT_SOURCE, not BAD_SOURCE.
 * ffprobe picks the MP4 demuxer from a `.mp4` name, so it says "moov atom not
 * found" of a text file renamed .mp4 too: only a file that starts like an MP4
 * is called an incomplete one.
 */
export async function probe(path: string, signal?: AbortSignal): Promise<ProbeResult> {
  const r = await runProcess(ffprobePath(), ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', path], { signal })
  if (r.code !== 0) {
    const why = stderrTail(r.stderr.replaceAll(`${path}: `, ''), 2) || `ffprobe exit ${r.code}`
    if (r.stderr.includes('moov atom not found')) {
      if (!looksLikeIsoBmff(await fileHead(path, 8))) {
        throw new OclabError(ErrorCodes.BAD_SOURCE, `${path} is not a media file (ffprobe read it as MP4 from its name, but it does not start with an MP4 box)`)
      }
      throw new OclabError(ErrorCodes.CORRUPT_SOURCE, `${path} is an incomplete MP4 (no moov index: truncated or still being written)`)
    }
    throw new OclabError(ErrorCodes.BAD_SOURCE, `${path} is not a media file ffprobe can read (${why})`)
  }
  return JSON.parse(r.stdout) as ProbeResult
}

interface DecodeOutput {
  entries: DecodeEntry[]
  stderr: string
  code: number | null
}

/**
 * Decode every frame of the video stream with ffprobe, listing packets and
 * frames in order with the decoder's error log attached (see analyseDecode).
 * Only timestamps, flags and logs are printed, to keep the JSON small.
 */
async function decodePass(path: string, streamIndex: number, signal?: AbortSignal): Promise<DecodeOutput> {
  const args = [
    '-v',
    'error',
    '-threads',
    '1',
    '-select_streams',
    String(streamIndex),
    '-show_log',
    '16',
    '-show_packets',
    '-show_frames',
    '-show_entries',
    'packet=pts_time,dts_time,flags:frame=best_effort_timestamp_time,pts_time:log=context,message',
    '-of',
    'json',
    path,
  ]
  const r = await runProcess(ffprobePath(), args, { signal })
  let entries: DecodeEntry[] = []
  try {
    entries = (JSON.parse(r.stdout) as { packets_and_frames?: DecodeEntry[] }).packets_and_frames ?? []
  } catch {
    // ffprobe died mid-output: the stderr below explains it and counts as a decode error.
  }
  return { entries, stderr: r.stderr, code: r.code }
}

function applyDecodePass(report: Inspection, out: DecodeOutput): Inspection {
  const { frameCount, frameTimes, error } = analyseDecode(out.entries, out.code === 0 ? out.stderr : out.stderr || `ffprobe exit ${out.code}`)
  if (error) {
    const at = Math.max(0, error.time - report.video.startTime)
    throw new OclabError(ErrorCodes.CORRUPT_SOURCE, `${report.file}: decode error at ${at.toFixed(2)} s: ${error.message}`)
  }
  if (frameCount === 0) throw new OclabError(ErrorCodes.ZERO_DURATION, `${report.file}: the video stream has no decodable frames`)
  if (frameCount === 1) throw new OclabError(ErrorCodes.NO_VIDEO, `${report.file} holds a single frame, not video`)
  const stats = intervalStats(frameTimes)
  const vfr = variableRateReason(stats, report.video.frameRate)
  if (vfr) throw new OclabError(ErrorCodes.BAD_FRAME_RATE, `${report.file}: ${vfr}`)
  return { ...report, video: { ...report.video, frameCount } }
}
