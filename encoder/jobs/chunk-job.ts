import { mkdir, readFile, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { commitFile, tempNameFor, writeFileAtomic } from '../../lib/atomic-file.js'
import { ErrorCodes, OclabError } from '../../lib/errors.js'
import { ffmpeg } from '../../lib/ffmpeg.js'
import { sha256, sha256File } from '../../lib/hash.js'
import type { Quality } from '../../lib/title-package.js'
import type { Rung } from '../ladder/ladder.js'
import type { Chunk } from './chunks.js'
import { type H264Settings, h264Filter, type RateControl, TIMESTAMPS_FROM_FRAMES } from './h264.js'
import { measureQuality, poolQuality, qualityScore, segmentQualities } from './quality.js'
import { type VideoCodec, videoArgs, videoCodecArgs } from './video-codecs.js'

/**
 * One stateless encode job: one chunk of the source at one rung. Inputs and
 * outputs are files named by the job, so any worker can run it, and a rerun
 * with the same definition finds its verified output and skips the work.
 */
export interface QualityGate {
  /** Minimum chunk quality on the metric's scale. */
  target: number
  /** Re-encodes allowed per chunk. Default 2. */
  maxReencodes: number
  /** Rate multiplier per re-encode. Default 1.3. */
  rateStep: number
  /** Never ask for more than this (bit/s). */
  maxBitrate: number
  /** CRF jobs: lower the CRF by this much per re-encode. Default 3 (about 1.4× the bits). */
  crfStep?: number
  /** CRF jobs: never go below this CRF. Default 14. */
  minCrf?: number
}

export interface ChunkJob {
  /** `<rungId>/chunk-00001`: also the output's name under workDir */
  key: string
  source: string
  /** Seconds to seek the source to this chunk's first frame (input seeking, frame-accurate). */
  sourceSeek: number
  sourceWidth: number
  sourceHeight: number
  chunk: Chunk
  rung: Rung
  /** Absent: H.264 (so H.264 jobs hash as they always did). */
  codec?: VideoCodec
  /**
   * The ffmpeg that encodes (and stitches) this codec, when it is not the
   * quality build (`ffmpegPath()`): the submitter's choice travels with the
   * job (lib/ffmpeg-builds.ts). Quality is always scored on the quality build.
   */
  ffmpeg?: string
  /** Encoder settings; for HEVC and AV1 `preset` is x265's or SVT-AV1's own. */
  h264: H264Settings
  /**
   * Constant quality at this x264 CRF instead of the rung's bitrate: shot-based
   * ladders give each shot of a rung its own CRF (shot-allocation.ts).
   */
  crf?: number
  framesPerSegment: number
  metric: 'vmaf' | 'ssim'
  vmafModel: string | null
  gate?: QualityGate
  workDir: string
}

/** The jobs of one chunk (all its rungs): the unit the queue hands a worker. */
export interface ChunkBatch {
  /** `chunk-00001` */
  key: string
  jobs: ChunkJob[]
}

export const describeBatch = (b: ChunkBatch): string => `${b.key} (${b.jobs.map((j) => j.key).join(', ')})`

export interface ChunkResult {
  key: string
  file: string
  bytes: number
  sha256: string
  frames: number
  /** the rate the kept encode was asked for (CRF jobs: the rate it reached) */
  bitrate: number
  /** CRF jobs: the CRF of the kept encode */
  crf?: number
  reencodes: number
  quality: Quality
  segments: Quality[]
  /** true when a finished, verified output from an earlier run was reused */
  resumed: boolean
}

interface Sidecar extends Omit<ChunkResult, 'resumed' | 'file'> {
  jobHash: string
}

/** What makes two jobs the same work (the work dir is where, not what). */
export const jobHash = (job: ChunkJob): string => {
  const { workDir: _w, ...what } = job
  return sha256(JSON.stringify(what))
}

export const chunkOutput = (job: ChunkJob): string => join(job.workDir, `${job.key}.mp4`)
const sidecarPath = (job: ChunkJob): string => join(job.workDir, `${job.key}.json`)

/** A finished output from an earlier run, if its definition and bytes still match. */
export async function findFinished(job: ChunkJob): Promise<ChunkResult | null> {
  let side: Sidecar
  try {
    side = JSON.parse(await readFile(sidecarPath(job), 'utf8')) as Sidecar
  } catch {
    return null
  }
  if (side.jobHash !== jobHash(job)) return null
  const file = chunkOutput(job)
  try {
    const st = await stat(file)
    if (st.size !== side.bytes || (await sha256File(file)) !== side.sha256) return null
  } catch {
    return null
  }
  const { jobHash: _h, ...rest } = side
  return { ...rest, file, resumed: true }
}

/** Bitrate or CRF, as the job asks. */
const rateOf = (_job: ChunkJob, bitrate: number, crf: number | undefined): RateControl => (crf !== undefined ? { crf } : { bitrate })

export async function encodeChunk(job: ChunkJob, bitrate: number, out: string, signal?: AbortSignal, crf = job.crf): Promise<void> {
  const seek = job.sourceSeek > 0 ? ['-ss', job.sourceSeek.toFixed(6)] : []
  await ffmpeg(
    [
      ...seek,
      '-i',
      job.source,
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      '-frames:v',
      String(job.chunk.frames),
      ...videoArgs(job.codec ?? 'h264', job.rung.width, job.rung.height, rateOf(job, bitrate, crf), job.h264),
      '-f',
      'mp4',
      out,
    ],
    { signal, ...(job.ffmpeg ? { bin: job.ffmpeg } : {}) },
  )
}

/**
 * Encode several rungs of one chunk in ONE ffmpeg process: the source chunk is
 * decoded once and split to one single-threaded x264 per rung. Each output is
 * byte for byte what `encodeChunk` makes for its job (same frames in, same
 * deterministic encoder), so fusing is only an execution choice; it saves the
 * decode that per-rung jobs would repeat for every rung.
 */
export async function encodeChunkGroup(jobs: readonly ChunkJob[], outs: readonly string[], signal?: AbortSignal): Promise<void> {
  const first = jobs[0]!
  if (jobs.some((j) => j.source !== first.source || j.sourceSeek !== first.sourceSeek || j.chunk.frames !== first.chunk.frames || j.ffmpeg !== first.ffmpeg)) {
    throw new Error('encodeChunkGroup: jobs must cover the same chunk of the same source, on the same ffmpeg')
  }
  const seek = first.sourceSeek > 0 ? ['-ss', first.sourceSeek.toFixed(6)] : []
  const labels = jobs.map((_, i) => `[s${i}]`).join('')
  const graph = [
    `[0:v]${TIMESTAMPS_FROM_FRAMES},split=${jobs.length}${labels}`,
    ...jobs.map((j, i) => `[s${i}]${h264Filter(j.rung.width, j.rung.height)}[o${i}]`),
  ].join(';')
  const outputs = jobs.flatMap((j, i) => [
    '-map',
    `[o${i}]`,
    '-frames:v',
    String(j.chunk.frames),
    ...videoCodecArgs(j.codec ?? 'h264', j.rung.width, j.rung.height, rateOf(j, j.rung.bitrate, j.crf), j.h264),
    '-f',
    'mp4',
    outs[i]!,
  ])
  await ffmpeg([...seek, '-i', first.source, '-filter_complex', graph, ...outputs], { signal, ...(first.ffmpeg ? { bin: first.ffmpeg } : {}) })
}

/**
 * Run the jobs of one chunk: finished ones are reused, the rest are encoded
 * together (`encodeChunkGroup`), then each is scored, gated and committed on
 * its own exactly as `runChunkJob` would.
 */
export async function runChunkJobs(jobs: readonly ChunkJob[], signal?: AbortSignal): Promise<ChunkResult[]> {
  const finished = await Promise.all(jobs.map(findFinished))
  const firsts = new Map<ChunkJob, string>()
  // one decode per ffmpeg build: codecs encoded by another build form their own group
  const groups = new Map<string, ChunkJob[]>()
  for (const [i, j] of jobs.entries()) if (!finished[i]) groups.set(j.ffmpeg ?? '', [...(groups.get(j.ffmpeg ?? '') ?? []), j])
  for (const todo of groups.values()) {
    if (todo.length < 2) continue
    const outs = todo.map((j) => `${tempNameFor(chunkOutput(j))}.mp4`)
    await Promise.all(todo.map((j) => mkdir(dirname(chunkOutput(j)), { recursive: true })))
    try {
      await encodeChunkGroup(todo, outs, signal)
    } catch (err) {
      await Promise.all([...outs, ...firsts.values()].map((o) => rm(o, { force: true })))
      throw err
    }
    for (const [i, j] of todo.entries()) firsts.set(j, outs[i]!)
  }
  const results: ChunkResult[] = []
  for (const [i, job] of jobs.entries()) results.push(finished[i] ?? (await runChunkJob(job, signal, firsts.get(job))))
  return results
}

/**
 * One job: encode (or take `firstEncode`, already encoded at the rung's rate),
 * score, re-encode at higher rates while the quality gate asks, commit the
 * best, write the sidecar last.
 */
export async function runChunkJob(job: ChunkJob, signal?: AbortSignal, firstEncode?: string): Promise<ChunkResult> {
  const done = await findFinished(job)
  if (done) {
    if (firstEncode) await rm(firstEncode, { force: true })
    return done
  }
  const final = chunkOutput(job)
  await mkdir(dirname(final), { recursive: true })
  const tries = job.gate ? job.gate.maxReencodes + 1 : 1
  let best: { tmp: string; bitrate: number; crf?: number; score: number; quality: Quality; segments: Quality[] } | null = null
  let bitrate = job.rung.bitrate
  let crf = job.crf
  let reencodes = 0
  try {
    for (let i = 0; i < tries; i++) {
      let tmp: string
      if (i === 0 && firstEncode) tmp = firstEncode
      else {
        tmp = `${tempNameFor(final)}.mp4`
        await encodeChunk(job, bitrate, tmp, signal, crf)
      }
      const scores = await measureQuality({
        distorted: tmp,
        source: job.source,
        sourceSeek: job.sourceSeek,
        frames: job.chunk.frames,
        sourceWidth: job.sourceWidth,
        sourceHeight: job.sourceHeight,
        vmafModel: job.metric === 'vmaf' ? job.vmafModel : null,
        signal,
      })
      if (scores.ssim.length !== job.chunk.frames) {
        await rm(tmp, { force: true })
        throw new OclabError(ErrorCodes.ENCODE_FAILED, `${job.key}: encoded ${scores.ssim.length} frames, expected ${job.chunk.frames}`)
      }
      const quality = poolQuality(scores)
      const score = qualityScore(quality, job.metric)
      // a CRF encode's rate is what it reached
      const rate = crf !== undefined ? Math.round(((await stat(tmp)).size * 8) / job.chunk.duration) : bitrate
      if (!best || score > best.score) {
        if (best) await rm(best.tmp, { force: true })
        best = {
          tmp,
          bitrate: rate,
          ...(crf !== undefined ? { crf } : {}),
          score,
          quality,
          segments: segmentQualities(scores, job.chunk.segments ?? job.framesPerSegment),
        }
      } else {
        await rm(tmp, { force: true })
      }
      const gate = job.gate
      const minCrf = gate?.minCrf ?? 14
      if (!gate || score >= gate.target || (crf !== undefined ? crf <= minCrf || rate >= gate.maxBitrate : bitrate >= gate.maxBitrate)) break
      if (i + 1 < tries) {
        reencodes++
        if (crf !== undefined) crf = Math.max(minCrf, crf - (gate.crfStep ?? 3))
        else bitrate = Math.min(gate.maxBitrate, Math.round(bitrate * gate.rateStep))
      }
    }
  } catch (err) {
    if (best) await rm(best.tmp, { force: true })
    if (firstEncode) await rm(firstEncode, { force: true })
    throw err
  }
  const kept = best!
  await commitFile(kept.tmp, final)
  const st = await stat(final)
  const result: ChunkResult = {
    key: job.key,
    file: final,
    bytes: st.size,
    sha256: await sha256File(final),
    frames: job.chunk.frames,
    bitrate: kept.bitrate,
    ...(kept.crf !== undefined ? { crf: kept.crf } : {}),
    reencodes,
    quality: kept.quality,
    segments: kept.segments,
    resumed: false,
  }
  // the sidecar is written last: a chunk without one is not finished
  const { file: _f, resumed: _r, ...side } = result
  await writeFileAtomic(sidecarPath(job), JSON.stringify({ ...side, jobHash: jobHash(job) } satisfies Sidecar))
  return result
}
