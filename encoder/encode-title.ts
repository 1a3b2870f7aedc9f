import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { basename, extname, join, resolve } from 'node:path'
import { writeFileAtomic } from '../lib/atomic-file.js'
import { ErrorCodes, OclabError } from '../lib/errors.js'
import { ffmpegPath } from '../lib/ffmpeg.js'
import { type QualityBuild, qualityBuild } from '../lib/ffmpeg-builds.js'
import { sha256File } from '../lib/hash.js'
import { normalizeLanguage, UNDETERMINED } from '../lib/language-tag.js'
import { type Cue, parseSubtitles } from '../lib/media/webvtt.js'
import { repoRoot } from '../lib/repo-root.js'
import { averageBitrate, peakSegmentBitrate } from '../lib/segment-bitrate.js'
import {
  type AudioRendition,
  type CodecLadder,
  type FileEntry,
  type HullPoint,
  type Inspection,
  isSafeTitleId,
  type Quality,
  type RungAllocation,
  type Segment,
  type TextRendition,
  TITLE_VERSION,
  type Title,
  type VideoRendition,
  validateTitle,
} from '../lib/title-package.js'
import { inspectSource, probe } from './inspect/inspect.js'
import { type ChunkBatch, type ChunkJob, type ChunkResult, describeBatch, type QualityGate, runChunkJobs } from './jobs/chunk-job.js'
import { type ChunkPlan, planChunks, planShotChunks, segmentStarts } from './jobs/chunks.js'
import type { EncodeEvent } from './jobs/events.js'
import { DEFAULT_H264, type H264Settings } from './jobs/h264.js'
import { type JobQueue, localPool, type RetryPolicy } from './jobs/job-queue.js'
import { encodeAudio, stitchChunks } from './jobs/stitch.js'
import { checkPreset, encoderFor, VIDEO_CODECS, type VideoCodec } from './jobs/video-codecs.js'
import { DEFAULT_VMAF_SELECTION, type RdPoint, type RungSelection, selectRungs, upperConvexHull } from './ladder/hull.js'
import { fixedLadder, type Rung, rungId, sortLadder } from './ladder/ladder.js'
import { DEFAULT_PROBE_HEIGHTS, probeHeights, probeSource } from './ladder/probe.js'
import { allocateWithPeak, type ShotCurve } from './ladder/shot-allocation.js'
import { probeShots, spanQuality, titlePoints } from './ladder/shot-probe.js'
import { type AudioInput, fileOrigin, languageName, languageOf, renditionNamer, type SubtitleInput } from './media-inputs.js'
import { type PackagedTrack, packageCmaf } from './packager/cmaf.js'
import { mpd } from './packager/dash.js'
import { mediaPlaylist, multivariantPlaylist, targetDurationOf, textPlaylist } from './packager/hls.js'
import { packageText } from './packager/text.js'

export interface EncodeOptions {
  source: string
  /** The store: the package goes to `<store>/titles/<titleId>/`, work files to `<store>/.work/<titleId>/`. */
  store: string
  /** Default: the source's file name without extension, made safe. */
  titleId?: string
  /**
   * Default 'per-title'. 'shot-based': shot-aligned chunks and segments, each
   * shot of each rung at its own CRF (one common slope per rung). A list of
   * rungs is used as given.
   */
  ladder?: 'fixed' | 'per-title' | 'shot-based' | Rung[]
  /** Seconds; rounded to whole frames. Default 4. */
  segmentDuration?: number
  /** Segments per chunk job. Default 2. */
  segmentsPerChunk?: number
  /** Jobs at once for the local pool. Default: the machine's available parallelism. */
  concurrency?: number
  retry?: RetryPolicy
  h264?: Partial<Omit<H264Settings, 'gop' | 'frameRate'>>
  /**
   * Video codecs, each with its own ladder (per-title: its own probes and
   * hull), in this order; the first is `ladder` in title.json. Default ['h264'].
   */
  codecs?: VideoCodec[]
  /** Presets of the other codecs' encoders (x265 names, SVT-AV1 0–13); default each codec's `defaultPreset`. H.264's is `h264.preset`. */
  presets?: Partial<Record<Exclude<VideoCodec, 'h264'>, string>>
  /**
   * The one ffmpeg that encodes video (`--encoder-ffmpeg`); default
   * `OCLAB_ENCODER_FFMPEG`, else the lookup order of lib/ffmpeg-builds.ts
   * (the quality build, then Debian's /usr/bin/ffmpeg).
   */
  encoderFfmpeg?: string
  /** libvmaf model (.pkl). Default: OCLAB_VMAF_MODEL, else none (SSIM/PSNR only, said once). */
  vmafModel?: string | null
  /** Per-title: quality the top rung aims for (VMAF, or SSIM dB without a model). Default 95 VMAF / 20 dB. */
  targetQuality?: number
  /** Minimum chunk quality for every rung of a fixed or custom ladder; per-title rungs get theirs from the hull. */
  gate?: number
  /** How far below a per-title rung's hull quality a chunk may fall before it is re-encoded. Default 3 (half a JND). */
  gateTolerance?: number
  maxReencodes?: number
  /** Audio bitrate, bit/s. Default 128000. */
  audioBitrate?: number
  /**
   * Languages of the source's audio streams, in stream order (`--audio-lang
   * en,fr`), overriding their `language` tags; BCP 47, ISO 639-2 codes are
   * shortened. Default: each stream's tag, else `und`. More tags than streams
   * is an error; fewer leave the rest to their tags.
   */
  audioLanguages?: string[]
  /** Audio files added as renditions after the source's own (`--audio`), encoded on the same grid from the video's start. Default none. */
  audioFiles?: AudioInput[]
  /** WebVTT or SRT files packaged as segmented WebVTT subtitle renditions (`--subtitles`). Default none. */
  subtitles?: SubtitleInput[]
  /** A distributed queue of chunk batches; default the local pool running them in this process. */
  queue?: JobQueue<ChunkBatch, ChunkResult[]>
  /** Per-title probe grid overrides (tests use small ones). */
  probe?: {
    heights?: number[]
    crfs?: number[]
    excerpts?: number
    excerptSeconds?: number
    codecCrfs?: Partial<Record<Exclude<VideoCodec, 'h264'>, number[]>>
  }
  /**
   * Per-shot probe curves of this same source, grid and x264 settings from an
   * earlier encode (`EncodeResult.shotProbes`): shot-based skips its H.264
   * probe encodes; per-title takes its H.264 points from them (the whole title
   * at each height × CRF, what Netflix's per-title encodes) instead of probing
   * excerpts. Probe once, choose two ladders. Other codecs probe their own.
   * Default: probe.
   */
  shotProbes?: ShotCurve[]
  /** Keep the chunk work directory after success. Default false. */
  keepWork?: boolean
  onEvent?: (e: EncodeEvent) => void
  signal?: AbortSignal
}

export interface EncodeResult {
  title: Title
  titleDir: string
  /** shot-based (and per-title from given curves): the per-shot probe curves, for `EncodeOptions.shotProbes` */
  shotProbes?: ShotCurve[]
}

/** A title id from a file name: what is left after replacing anything not safe in a URL path. */
export function titleIdFromFile(file: string): string {
  const id = basename(file, extname(file))
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100)
  return id || 'title'
}

const SSIM_SELECTION: RungSelection = { ...DEFAULT_VMAF_SELECTION, targetQuality: 20, step: 1.5, minQuality: 10, minGainPerDoubling: 0.4 }

/**
 * The VMAF model of the lab's layout: $OCLAB_VMAF_MODEL, else
 * ../shared/vmaf/vmaf_v0.6.1.pkl beside this repo, else none. The demo, the
 * benchmarks and the tests use it; `oclab encode` takes only the option or
 * the variable, so a user's encode never picks a model up by accident.
 */
export function sharedVmafModel(): string | null {
  if (process.env.OCLAB_VMAF_MODEL) return process.env.OCLAB_VMAF_MODEL
  const model = resolve(repoRoot, '..', 'shared', 'vmaf', 'vmaf_v0.6.1.pkl')
  return existsSync(model) ? model : null
}

export function resolveVmafModel(opt: string | null | undefined): string | null {
  const model = opt === undefined ? process.env.OCLAB_VMAF_MODEL || null : opt
  if (model && !existsSync(model)) throw new OclabError(ErrorCodes.USAGE, `VMAF model not found: ${model}`)
  return model ? resolve(model) : null
}

export async function encodeTitle(opts: EncodeOptions): Promise<EncodeResult> {
  const t0 = Date.now()
  const emit = opts.onEvent ?? (() => {})
  const source = resolve(opts.source)
  const store = resolve(opts.store)
  const titleId = opts.titleId ?? titleIdFromFile(source)
  if (!isSafeTitleId(titleId)) throw new OclabError(ErrorCodes.USAGE, `title id "${titleId}" must be letters, digits, '.', '_' or '-'`)
  const vmafModel = resolveVmafModel(opts.vmafModel)
  const metric: 'vmaf' | 'ssim' = vmafModel ? 'vmaf' : 'ssim'
  if (!vmafModel) emit({ type: 'note', message: 'no VMAF model (set --vmaf-model or OCLAB_VMAF_MODEL): quality is SSIM/PSNR, the ladder uses SSIM dB' })
  const concurrency = opts.concurrency ?? availableParallelism()
  const segmentDuration = opts.segmentDuration ?? 4
  // the builds before any work: a codec whose encoder is missing fails at once
  const builds = await chooseBuilds(opts, vmafModel)

  const report = await inspectSource(source, { signal: opts.signal, shots: true })
  emit({ type: 'inspected', report })
  // added inputs are checked before any encode: a bad subtitle file fails in milliseconds, not after the ladder
  const audioPlan = await planAudio(report, opts)
  const subtitles = await readSubtitles(opts.subtitles ?? [])
  const v = report.video
  const shotBased = opts.ladder === 'shot-based'
  if (shotBased && !report.shots?.length)
    throw new OclabError(ErrorCodes.ENCODE_FAILED, `shot-based: no shot list for ${source} (${report.warnings.join('; ') || 'shot detection found nothing'})`)
  const plan = shotBased
    ? planShotChunks(report.shots!, v.frameRate, segmentDuration)
    : planChunks(v.frameCount, v.frameRate, segmentDuration, opts.segmentsPerChunk ?? 2)
  const h264: H264Settings = { ...DEFAULT_H264, ...opts.h264, gop: plan.framesPerSegment, frameRate: v.frameRate }
  const fileStart = Math.min(v.startTime, ...report.audio.map((a) => a.startTime))
  const videoStartInFile = Math.max(0, v.startTime - fileStart)

  const workDir = join(store, '.work', titleId)
  const ladders: Array<LadderChoice & { codec: VideoCodec }> = []
  const jobs: ChunkJob[] = []
  for (const b of builds.video) {
    const enc: CodecRun = { codec: b.codec, settings: { ...h264, preset: b.preset }, ...(b.path !== ffmpegPath() ? { ffmpeg: b.path } : {}) }
    const choice = codecRungIds(b.codec, await buildLadder(opts, report, enc, metric, vmafModel, concurrency, videoStartInFile, emit))
    emit({ type: 'ladder', kind: choice.kind, rungs: choice.rungs, notes: choice.notes })
    ladders.push({ ...choice, codec: b.codec })
    const curves = choice.kind === 'per-title' && choice.curves ? { curves: choice.curves } : {}
    jobs.push(
      ...chunkJobs({
        source,
        report,
        plan,
        rungs: choice.rungs,
        enc,
        metric,
        vmafModel,
        workDir,
        videoStartInFile,
        opts,
        allocation: choice.allocation,
        ...curves,
      }),
    )
  }
  const { results: chunkResults, retries } = await runJobs(jobs, opts, concurrency, emit)

  const staging = join(workDir, `package-${randomBytes(4).toString('hex')}`)
  await mkdir(staging, { recursive: true })
  try {
    const audioPromise = packageAudio(source, audioPlan, report, plan, videoStartInFile, opts, staging, workDir, emit)
    const video: VideoRendition[] = []
    for (const { codec, rungs } of ladders) {
      for (const rung of rungs) {
        emit({ type: 'packaging', rendition: rung.id })
        const results = jobs
          .map((j, i) => ({ j, r: chunkResults[i]! }))
          .filter((x) => x.j.rung.id === rung.id)
          .sort((a, b) => a.j.chunk.index - b.j.chunk.index)
        video.push(
          await packageVideo(
            rung,
            codec,
            results[0]!.j.ffmpeg,
            results.map((x) => x.r),
            v.frameRate,
            v.frameCount,
            staging,
            workDir,
            opts.signal,
          ),
        )
      }
    }
    const audio = await audioPromise
    const text = await packageSubtitles(subtitles, video[0]!, staging, emit)
    const duration = Number((v.frameCount / v.frameRate).toFixed(6))
    const titleBody = { duration, segmentDuration: plan.segmentDuration, video, audio, text }
    await writeFileAtomic(join(staging, 'master.m3u8'), multivariantPlaylist(titleBody))
    await writeFileAtomic(join(staging, 'manifest.mpd'), mpd(titleBody))
    for (const r of [...video, ...audio]) await writeFileAtomic(join(staging, r.playlist), mediaPlaylist(r, r.playlist.split('/')[0]!))
    for (const r of text) await writeFileAtomic(join(staging, r.playlist), textPlaylist(r, r.id))
    const title: Title = validateTitle({
      version: TITLE_VERSION,
      id: titleId,
      createdAt: new Date().toISOString(),
      ...titleBody,
      source: report,
      ladder: titleLadder(ladders[0]!, metric),
      ladders: ladders.map((l) => ({ codec: l.codec, ...titleLadder(l, metric) })),
      encode: {
        codec: builds.video[0]!.codec,
        preset: builds.video[0]!.preset,
        // shot-aligned chunks vary: their mean
        chunkDuration: shotBased ? Number((duration / plan.chunks.length).toFixed(6)) : plan.segmentDuration * (opts.segmentsPerChunk ?? 2),
        chunks: plan.chunks.length,
        jobs: jobs.length,
        retries,
        qualityGateReencodes: chunkResults.reduce((s, r) => s + r.reencodes, 0),
        resumedJobs: chunkResults.filter((r) => r.resumed).length,
        qualityModel: vmafModel ? basename(vmafModel) : null,
        ffmpeg: {
          quality: builds.quality,
          video: builds.video.map(({ codec, encoder, preset, path, version }) => ({ codec, encoder, preset, path, version })),
        },
      },
      hls: 'master.m3u8',
      dash: 'manifest.mpd',
      files: await listFiles(staging),
    })
    // title.json last: a package without it is not complete
    await writeFileAtomic(join(staging, 'title.json'), `${JSON.stringify(title, null, 2)}\n`)
    const titleDir = join(store, 'titles', titleId)
    await swapInto(staging, titleDir, workDir)
    if (!opts.keepWork) await rm(workDir, { recursive: true, force: true })
    emit({ type: 'done', titleDir, seconds: (Date.now() - t0) / 1000 })
    const curves = ladders.find((l) => l.codec === 'h264')?.curves
    return { title, titleDir, ...(curves ? { shotProbes: curves } : {}) }
  } catch (err) {
    await rm(staging, { recursive: true, force: true })
    throw err
  }
}

interface Builds {
  quality: QualityBuild
  video: Array<{ codec: VideoCodec; encoder: string; preset: string; path: string; version: string }>
}

/**
 * Which build scores quality and which encodes each codec (lib/ffmpeg-builds.ts),
 * checked before anything is encoded: a missing encoder, a preset the
 * encoder lacks, a VMAF model without libvmaf, shot-based AV1.
 */
async function chooseBuilds(opts: EncodeOptions, vmafModel: string | null): Promise<Builds> {
  const codecs = opts.codecs?.length ? opts.codecs : (['h264'] as VideoCodec[])
  const presetOf = (c: VideoCodec): string => (c === 'h264' ? (opts.h264?.preset ?? DEFAULT_H264.preset) : (opts.presets?.[c] ?? VIDEO_CODECS[c].defaultPreset))
  for (const c of codecs) {
    checkPreset(c, presetOf(c))
    if (opts.ladder === 'shot-based' && !VIDEO_CODECS[c].forcedKeyframes) {
      throw new OclabError(
        ErrorCodes.USAGE,
        `${c}: shot-based ladders need key frames at each shot, which ${VIDEO_CODECS[c].encoder} in this ffmpeg cannot force; use --ladder per-title or fixed`,
      )
    }
  }
  const quality = await qualityBuild()
  if (vmafModel && !quality.libvmaf)
    throw new OclabError(
      ErrorCodes.USAGE,
      `a VMAF model was given but ${quality.path} (${quality.version}) has no libvmaf filter: set FFMPEG_PATH to a build with libvmaf (the bundled one has it)`,
    )
  const choice = opts.encoderFfmpeg !== undefined ? { encoderFfmpeg: opts.encoderFfmpeg } : {}
  const video = await Promise.all(codecs.map(async (codec) => ({ codec, preset: presetOf(codec), ...(await encoderFor(codec, choice)) })))
  return { quality, video }
}

/** How one codec is encoded: its settings and, when not the quality build, its ffmpeg. */
interface CodecRun {
  codec: VideoCodec
  settings: H264Settings
  ffmpeg?: string
}

/** H.264 rungs keep their ids (`v360p-800k`); other codecs' are prefixed (`av1-v360p-400k`). */
function codecRungIds(codec: VideoCodec, l: LadderChoice): LadderChoice {
  if (codec === 'h264') return l
  const id = (r: string) => `${codec}-${r}`
  return {
    ...l,
    rungs: l.rungs.map((r) => ({ ...r, id: id(r.id) })),
    ...(l.allocation ? { allocation: l.allocation.map((a) => ({ ...a, rung: id(a.rung) })) } : {}),
  }
}

const titleLadder = (l: LadderChoice, metric: 'vmaf' | 'ssim'): Omit<CodecLadder, 'codec'> => ({
  kind: l.kind === 'custom' ? 'fixed' : l.kind,
  qualityMetric: metric,
  notes: l.notes,
  probes: l.probes,
  ...(l.allocation ? { allocation: l.allocation } : {}),
})

interface LadderChoice {
  rungs: Rung[]
  kind: 'fixed' | 'per-title' | 'shot-based' | 'custom'
  notes: string[]
  probes: HullPoint[]
  /** shot-based: per rung, each shot's CRF and the quality its probe predicts */
  allocation?: RungAllocation[]
  /** the per-shot probe curves the ladder was chosen from */
  curves?: ShotCurve[]
}

async function buildLadder(
  opts: EncodeOptions,
  report: Inspection,
  enc: CodecRun,
  metric: 'vmaf' | 'ssim',
  vmafModel: string | null,
  concurrency: number,
  videoStartInFile: number,
  emit: (e: EncodeEvent) => void,
): Promise<LadderChoice> {
  const v = report.video
  const ladder = opts.ladder ?? 'per-title'
  if (Array.isArray(ladder)) {
    const over = ladder.filter((r) => r.height > v.height)
    if (over.length)
      throw new OclabError(ErrorCodes.USAGE, `ladder rungs above the source's ${v.width}x${v.height}: ${over.map((r) => `${r.width}x${r.height}`).join(', ')}`)
    return { rungs: sortLadder(ladder), kind: 'custom', notes: ['ladder given by hand'], probes: [] }
  }
  if (ladder === 'fixed') {
    return { rungs: fixedLadder(v.width, v.height), kind: 'fixed', notes: ['fixed ladder (one size fits all), capped at the source resolution'], probes: [] }
  }
  const selection = { ...(metric === 'vmaf' ? DEFAULT_VMAF_SELECTION : SSIM_SELECTION) }
  if (opts.targetQuality !== undefined) selection.targetQuality = opts.targetQuality
  if (ladder === 'shot-based') return shotBasedLadder(opts, report, enc, metric, vmafModel, concurrency, videoStartInFile, selection, emit)
  const given = enc.codec === 'h264' && opts.shotProbes ? reusableCurves(opts.shotProbes, report) : undefined
  const { codecCrfs: _c, ...probe } = opts.probe ?? {}
  const { points, rd } = given
    ? fromShotCurves(given)
    : await probeSource({
        source: opts.source,
        sourceWidth: v.width,
        sourceHeight: v.height,
        frameRate: v.frameRate,
        duration: report.duration,
        ...probe,
        crfs: probeCrfs(opts, enc.codec),
        h264: enc.settings,
        codec: enc.codec,
        ...(enc.ffmpeg ? { ffmpeg: enc.ffmpeg } : {}),
        metric,
        vmafModel,
        concurrency,
        signal: opts.signal,
        onProbe: (done, total) => emit({ type: 'probing', done, total }),
      })
  const hull = upperConvexHull(rd)
  const onHull = new Set(hull.map((p) => `${p.height}:${p.bitrate}`))
  const probes = points.map((p) => ({ ...p, onHull: onHull.has(`${p.height}:${p.bitrate}`) }))
  const chosen = selectRungs(hull, selection)
  if (!chosen.length) throw new OclabError(ErrorCodes.ENCODE_FAILED, 'per-title: the probe encodes gave no usable hull')
  const rungs = sortLadder(
    chosen.map((p) => ({ id: rungId(p.height, p.bitrate), width: p.width, height: p.height, bitrate: p.bitrate, targetQuality: Number(p.quality.toFixed(2)) })),
  )
  const top = chosen[chosen.length - 1]!
  const notes = [
    `per-title (${enc.codec}): ${points.length} probe ${given ? `points of the whole title (from ${given.length} shots' probes)` : 'encodes'}, ${hull.length} on the convex hull, ${metric === 'vmaf' ? 'VMAF' : 'SSIM dB'} target ${selection.targetQuality}, step ${selection.step}`,
  ]
  if (top.quality < selection.targetQuality - 0.5) notes.push(`top rung reaches ${top.quality.toFixed(1)}, below the target: capped by max bitrate or the hull`)
  return { rungs, kind: 'per-title', notes, probes, ...(given ? { curves: given } : {}) }
}

/**
 * Shot probes handed in must be of this source's shots (one curve per shot,
 * the same durations): anything else is a caller's mistake, said clearly.
 */
function reusableCurves(curves: ShotCurve[], report: Inspection): ShotCurve[] {
  const shots = report.shots ?? []
  const same = curves.length === shots.length && curves.every((c, i) => Math.abs(c.duration - shots[i]!.frames / report.video.frameRate) < 1e-6)
  if (!same) throw new OclabError(ErrorCodes.USAGE, `shotProbes: ${curves.length} curves do not match this source's ${shots.length} shots`)
  return curves
}

/** Per-title points from per-shot curves: the whole title at each height × CRF. */
function fromShotCurves(curves: readonly ShotCurve[]): { points: HullPoint[]; rd: RdPoint[] } {
  const points: HullPoint[] = titlePoints(curves).map(({ crf: _c, ...p }) => ({ ...p, onHull: false }))
  points.sort((a, b) => a.height - b.height || a.bitrate - b.bitrate)
  return { points, rd: points.map(({ width, height, bitrate, quality }) => ({ width, height, bitrate, quality })) }
}

/**
 * Shot-based ladder: probe every shot at each height × CRF, choose the rungs
 * (resolution and bitrate) on the hull of the title-level points those
 * probes imply, exactly as per-title does, then for each rung give every
 * shot the CRF where its own hull (at the rung's resolution) meets one
 * common slope λ, bisected so the rung's mean rate meets its bitrate.
 */
/** The probe CRFs of a codec: `probe.crfs` are x264's, other codecs have their own scale. */
const probeCrfs = (opts: EncodeOptions, codec: VideoCodec): number[] => [
  ...((codec === 'h264' ? opts.probe?.crfs : opts.probe?.codecCrfs?.[codec]) ?? VIDEO_CODECS[codec].probeCrfs),
]

async function shotBasedLadder(
  opts: EncodeOptions,
  report: Inspection,
  enc: CodecRun,
  metric: 'vmaf' | 'ssim',
  vmafModel: string | null,
  concurrency: number,
  videoStartInFile: number,
  selection: RungSelection,
  emit: (e: EncodeEvent) => void,
): Promise<LadderChoice> {
  const v = report.video
  const shots = report.shots!
  const curves =
    enc.codec === 'h264' && opts.shotProbes
      ? reusableCurves(opts.shotProbes, report)
      : await probeShots({
          source: opts.source,
          shots,
          sourceWidth: v.width,
          sourceHeight: v.height,
          frameRate: v.frameRate,
          videoStartInFile,
          heights: probeHeights(opts.probe?.heights ?? DEFAULT_PROBE_HEIGHTS, v.height),
          crfs: probeCrfs(opts, enc.codec),
          h264: enc.settings,
          codec: enc.codec,
          ...(enc.ffmpeg ? { ffmpeg: enc.ffmpeg } : {}),
          metric,
          vmafModel,
          concurrency,
          signal: opts.signal,
          onProbe: (done, total) => emit({ type: 'probing', done, total }),
        })
  const points = titlePoints(curves)
  const hull = upperConvexHull(points)
  const onHull = new Set(hull.map((p) => `${p.height}:${p.crf}`))
  const probes = points
    .map(({ crf, ...p }) => ({ ...p, onHull: onHull.has(`${p.height}:${crf}`) }))
    .sort((a, b) => a.height - b.height || a.bitrate - b.bitrate)
  const chosen = selectRungs(hull, selection)
  if (!chosen.length) throw new OclabError(ErrorCodes.ENCODE_FAILED, 'shot-based: the probe encodes gave no usable hull')
  const rungs: Rung[] = []
  const allocation: RungAllocation[] = []
  for (const p of chosen) {
    // shots within 1.8× of the mean rate: a shot is a segment's worth of bits, and VOD peaks stay within 2× (Apple)
    const a = allocateWithPeak(
      curves.map((c) => ({ duration: c.duration, points: c.points.filter((q) => q.height === p.height) })),
      p.bitrate,
      1.8,
    )
    const rung: Rung = { id: rungId(p.height, p.bitrate), width: p.width, height: p.height, bitrate: p.bitrate, targetQuality: Number(a.quality.toFixed(2)) }
    // on a coarse CRF grid two budgets can land on the same CRF for every shot: the same encode, kept once
    const crfs = a.picks.map((q) => q.crf).join('/')
    if (allocation.some((x, i) => rungs[i]!.height === p.height && x.shots.map((q) => q.crf).join('/') === crfs)) continue
    rungs.push(rung)
    allocation.push({
      rung: rung.id,
      lambda: a.lambda,
      bitrate: Math.round(a.bitrate),
      quality: Number(a.quality.toFixed(3)),
      shots: a.picks.map((q) => ({ crf: q.crf, bitrate: q.bitrate, quality: q.quality })),
    })
  }
  const sorted = sortLadder(rungs)
  // sortLadder may rename duplicate ids: keep the allocations keyed to the final ids, in ladder order
  const ordered = sorted.map((r) => ({ ...allocation[rungs.findIndex((x) => x.bitrate === r.bitrate && x.height === r.height)]!, rung: r.id }))
  const notes = [
    `shot-based: ${shots.length} shots × ${curves[0]!.points.length} probe encodes each, ${hull.length} title-level points on the hull, ${metric === 'vmaf' ? 'VMAF' : 'SSIM dB'} target ${selection.targetQuality}, step ${selection.step}`,
    `per rung, each shot's CRF at one common slope λ (bisection to the rung's bitrate), no shot above 1.8× the rung's mean rate`,
  ]
  return { rungs: sorted, kind: 'shot-based', notes, probes, allocation: ordered, curves }
}

interface JobPlanInput {
  source: string
  report: Inspection
  plan: ChunkPlan
  rungs: Rung[]
  enc: CodecRun
  metric: 'vmaf' | 'ssim'
  vmafModel: string | null
  workDir: string
  videoStartInFile: number
  opts: EncodeOptions
  allocation?: RungAllocation[]
  /** per-title from shot probes: each chunk is gated against what its own shots predict */
  curves?: ShotCurve[]
}

/** One job per chunk × rung, rungs interleaved so progress and failures spread over the title. */
function chunkJobs(p: JobPlanInput): ChunkJob[] {
  const v = p.report.video
  const jobs: ChunkJob[] = []
  for (const chunk of p.plan.chunks) {
    // shot-aligned segments: IDRs at this chunk's own segment starts
    const h264 = chunk.segments ? { ...p.enc.settings, keyframes: segmentStarts(chunk, p.plan.framesPerSegment) } : p.enc.settings
    for (const rung of p.rungs) {
      // shot-based: this shot's CRF on this rung, gated against what its probe predicted
      const shot = p.allocation?.find((a) => a.rung === rung.id)?.shots[chunk.index]
      // per-title from shot probes: what this chunk's own shots predict at the rung's rate, not the title's mean
      const own = !shot && p.curves && rung.targetQuality !== undefined ? spanQuality(p.curves, p.report.shots ?? [], chunk, rung.height, rung.bitrate) : null
      const expected = shot ? shot.quality : (own ?? rung.targetQuality)
      const target = expected !== undefined ? expected - (p.opts.gateTolerance ?? 3) : p.opts.gate
      const gate: QualityGate | undefined =
        target === undefined ? undefined : { target, maxReencodes: p.opts.maxReencodes ?? 2, rateStep: 1.3, maxBitrate: Math.max(rung.bitrate, 12_000_000) }
      jobs.push({
        key: `${rung.id}/chunk-${String(chunk.index + 1).padStart(5, '0')}`,
        source: p.source,
        // half a frame early: input seeking then keeps exactly the frames from startFrame on
        sourceSeek: chunk.startFrame === 0 ? 0 : p.videoStartInFile + (chunk.startFrame - 0.5) / v.frameRate,
        sourceWidth: v.width,
        sourceHeight: v.height,
        chunk,
        rung,
        ...(p.enc.codec !== 'h264' ? { codec: p.enc.codec } : {}),
        ...(p.enc.ffmpeg ? { ffmpeg: p.enc.ffmpeg } : {}),
        h264,
        ...(shot ? { crf: shot.crf } : {}),
        framesPerSegment: p.plan.framesPerSegment,
        metric: p.metric,
        vmafModel: p.vmafModel,
        ...(gate ? { gate } : {}),
        workDir: join(p.workDir, 'chunks'),
      })
    }
  }
  return jobs
}

/** The queue's unit is a chunk with all its rungs, so a worker decodes each chunk once. */
export function batchJobs(jobs: readonly ChunkJob[]): ChunkBatch[] {
  const byChunk = new Map<number, ChunkJob[]>()
  for (const j of jobs) byChunk.set(j.chunk.index, [...(byChunk.get(j.chunk.index) ?? []), j])
  return [...byChunk.entries()].map(([i, js]) => ({ key: `chunk-${String(i + 1).padStart(5, '0')}`, jobs: js }))
}

async function runJobs(
  jobs: ChunkJob[],
  opts: EncodeOptions,
  concurrency: number,
  emit: (e: EncodeEvent) => void,
): Promise<{ results: ChunkResult[]; retries: number }> {
  const queue =
    opts.queue ?? localPool<ChunkBatch, ChunkResult[]>((b) => runChunkJobs(b.jobs, opts.signal), { concurrency, retry: opts.retry, describe: describeBatch })
  const totalFrames = jobs.reduce((s, j) => s + j.chunk.frames, 0)
  let done = 0
  let frames = 0
  let encodedFrames = 0
  let retries = 0
  const start = Date.now()
  emit({ type: 'jobs', total: jobs.length })
  const status = (state: 'start' | 'retry' | 'done', job: ChunkJob, extra: Partial<Extract<EncodeEvent, { type: 'job' }>> = {}) => {
    const secs = (Date.now() - start) / 1000
    const fps = secs > 0 ? encodedFrames / secs : 0
    const eta = fps > 0 ? (totalFrames - frames) / fps : null
    emit({ type: 'job', state, key: job.key, done, total: jobs.length, frames, fps, etaSeconds: eta, ...extra })
  }
  const batches = batchJobs(jobs)
  const results = await queue.runAll(batches, {
    onStart: (b) => {
      for (const j of b.jobs) status('start', j)
    },
    onRetry: (b, _attempt, error) => {
      retries++
      for (const j of b.jobs) status('retry', j, { error: error.message })
    },
    onDone: (b, rs) =>
      b.jobs.forEach((job, i) => {
        const r = rs[i]!
        done++
        frames += job.chunk.frames
        if (!r.resumed) encodedFrames += job.chunk.frames
        status('done', job, { resumed: r.resumed, reencodes: r.reencodes })
      }),
  })
  const byKey = new Map(results.flat().map((r) => [r.key, r]))
  return { results: jobs.map((j) => byKey.get(j.key)!), retries }
}

async function packageVideo(
  rung: Rung,
  codec: VideoCodec,
  bin: string | undefined,
  results: ChunkResult[],
  frameRate: number,
  frameCount: number,
  staging: string,
  workDir: string,
  signal?: AbortSignal,
): Promise<VideoRendition> {
  const joined = join(workDir, `${rung.id}.frag.mp4`)
  await stitchChunks(
    results.map((r) => r.file),
    joined,
    signal,
    bin,
  )
  const track = await packageCmaf({ input: joined, outDir: join(staging, rung.id), uriPrefix: rung.id, video: true })
  await rm(joined, { force: true })
  const samples = track.segments.reduce((s, x) => s + x.samples, 0)
  if (samples !== frameCount) throw new OclabError(ErrorCodes.ENCODE_FAILED, `${rung.id}: stitched ${samples} frames, the source has ${frameCount}`)
  const segQuality = results.flatMap((r) => r.segments)
  if (segQuality.length !== track.segments.length)
    throw new OclabError(ErrorCodes.ENCODE_FAILED, `${rung.id}: ${track.segments.length} segments but quality for ${segQuality.length}`)
  const segments = toSegments(track, segQuality)
  const frames = results.reduce((s, r) => s + r.frames, 0)
  const weighted = (pick: (q: Quality) => number | undefined) => results.reduce((s, r) => s + (pick(r.quality) ?? 0) * r.frames, 0) / frames
  const quality: Quality = { ssim: Number(weighted((q) => q.ssim).toFixed(6)), psnr: Number(weighted((q) => q.psnr).toFixed(3)) }
  if (results.every((r) => r.quality.vmaf !== undefined)) quality.vmaf = Number(weighted((q) => q.vmaf).toFixed(3))
  return {
    type: 'video',
    id: rung.id,
    codec,
    codecs: track.codecs,
    width: rung.width,
    height: rung.height,
    frameRate,
    targetBitrate: rung.bitrate,
    ...bandwidths(segments),
    quality,
    timescale: track.timescale,
    init: { path: track.init.uri, bytes: track.init.bytes, sha256: track.init.sha256 },
    playlist: `${rung.id}/index.m3u8`,
    segments,
  }
}

function toSegments(track: PackagedTrack, quality?: Quality[]): Segment[] {
  return track.segments.map((s, i) => ({
    uri: s.uri,
    bytes: s.bytes,
    duration: Number((s.durationTicks / track.timescale).toFixed(6)),
    start: Number((s.startTicks / track.timescale).toFixed(6)),
    sha256: s.sha256,
    ...(quality ? { quality: quality[i]! } : {}),
  }))
}

/**
 * Peak and average bitrate as measured from the segments' real sizes (what a
 * player downloads): the peak is RFC 8216's peak segment bit rate over the
 * target duration the playlist will declare, every segment included, so
 * BANDWIDTH (video peak + audio peak) is exactly what §4.3.4.2 asks and what
 * `oclab lint --deep` measures. Rounded up: BANDWIDTH must not be below the peak.
 */
export function bandwidths(segments: readonly Pick<Segment, 'bytes' | 'duration'>[]): { bandwidth: number; averageBandwidth: number } {
  return { bandwidth: Math.ceil(peakSegmentBitrate(segments, targetDurationOf(segments))), averageBandwidth: Math.ceil(averageBitrate(segments)) }
}

/** One audio rendition to make: a stream of the source or of an added file. */
interface AudioJob {
  id: string
  language: string
  name: string
  origin: string
  file: string
  streamIndex: number
  /** the file's time zero to the video's first frame (0 for an added file: it starts with the video) */
  startInFile: number
  padEnd: boolean
}

/**
 * The audio renditions of the layout contract: the source's streams in order
 * (language from `audioLanguages`, else the stream's tag; name from its
 * title tag, else the language's name), then the added files; ids
 * `audio-<lang>[-n]`, names unique. Added files are probed here, so one
 * that is not media or has no audio fails before any encode.
 */
async function planAudio(report: Inspection, opts: EncodeOptions): Promise<AudioJob[]> {
  const langs = opts.audioLanguages ?? []
  if (langs.length > report.audio.length)
    throw new OclabError(ErrorCodes.USAGE, `--audio-lang names ${langs.length} languages but ${report.file} has ${report.audio.length} audio streams`)
  const jobs: AudioJob[] = []
  const claim = renditionNamer()
  const add = (j: Omit<AudioJob, 'id' | 'name'> & { name?: string }) => {
    jobs.push({ ...j, ...claim(`audio-${j.language}`, j.name ?? languageName(j.language, 'Audio')) })
  }
  for (const [i, a] of report.audio.entries()) {
    const given = langs[i]
    const language = given !== undefined ? languageOf(given, '--audio-lang') : (normalizeLanguage(a.language) ?? UNDETERMINED)
    add({ language, ...(a.title ? { name: a.title } : {}), origin: `stream:${i}`, file: opts.source, streamIndex: i, startInFile: -1, padEnd: false })
  }
  for (const f of opts.audioFiles ?? []) {
    const p = await probe(resolve(f.file), opts.signal)
    if (!p.streams?.some((x) => x.codec_type === 'audio')) throw new OclabError(ErrorCodes.NO_AUDIO, `${f.file} has no audio stream (--audio)`)
    add({
      language: languageOf(f.language, '--audio'),
      ...(f.name ? { name: f.name } : {}),
      origin: fileOrigin(f.file),
      file: resolve(f.file),
      streamIndex: 0,
      startInFile: 0,
      padEnd: true,
    })
  }
  return jobs
}

async function packageAudio(
  source: string,
  jobs: readonly AudioJob[],
  report: Inspection,
  plan: ChunkPlan,
  videoStartInFile: number,
  opts: EncodeOptions,
  staging: string,
  workDir: string,
  emit: (e: EncodeEvent) => void,
): Promise<AudioRendition[]> {
  const out: AudioRendition[] = []
  const v = report.video
  for (const j of jobs) {
    const id = j.id
    emit({ type: 'packaging', rendition: id })
    const frag = join(workDir, `${id}.frag.mp4`)
    await mkdir(workDir, { recursive: true })
    await encodeAudio({
      source: j.startInFile < 0 ? source : j.file,
      streamIndex: j.streamIndex,
      videoStartInFile: j.startInFile < 0 ? videoStartInFile : j.startInFile,
      duration: v.frameCount / v.frameRate,
      segmentDuration: plan.segmentDuration,
      bitrate: opts.audioBitrate,
      padEnd: j.padEnd,
      out: frag,
      signal: opts.signal,
    })
    const track = await packageCmaf({ input: frag, outDir: join(staging, id), uriPrefix: id, video: false })
    await rm(frag, { force: true })
    const segments = toSegments(track)
    out.push({
      type: 'audio',
      id,
      codec: 'aac',
      codecs: track.codecs,
      language: j.language,
      name: j.name,
      origin: j.origin,
      channels: 2,
      sampleRate: 48000,
      ...bandwidths(segments),
      timescale: track.timescale,
      init: { path: track.init.uri, bytes: track.init.bytes, sha256: track.init.sha256 },
      playlist: `${id}/index.m3u8`,
      segments,
    })
  }
  return out
}

interface SubtitleJob {
  id: string
  language: string
  name: string
  forced: boolean
  origin: string
  cues: Cue[]
}

/** Read and check every subtitle file (OCLAB_ERR_BAD_SUBTITLES names file:line), with the contract's ids `text-<lang>[-forced][-n]`. */
async function readSubtitles(inputs: readonly SubtitleInput[]): Promise<SubtitleJob[]> {
  const claim = renditionNamer()
  const out: SubtitleJob[] = []
  for (const s of inputs) {
    let bytes: Buffer
    try {
      bytes = await readFile(s.file)
    } catch (err) {
      throw new OclabError(ErrorCodes.BAD_SUBTITLES, `${s.file}: cannot read (${(err as Error).message})`, undefined, { cause: err })
    }
    const { cues } = parseSubtitles(bytes, s.file)
    const language = languageOf(s.language, '--subtitles')
    const forced = s.forced ?? false
    const base = languageName(language, 'Subtitles')
    const { id, name } = claim(`text-${language}${forced ? '-forced' : ''}`, s.name ?? (forced ? `${base} (forced)` : base))
    out.push({ id, language, name, forced, origin: fileOrigin(s.file), cues })
  }
  return out
}

/**
 * Subtitle renditions on the first video rendition's segment grid (every
 * rendition shares it). Cue time 0 is the video's first segment start, the
 * time hls.js takes as its initPTS (webvtt-segments.ts).
 */
async function packageSubtitles(
  jobs: readonly SubtitleJob[],
  video: VideoRendition,
  staging: string,
  emit: (e: EncodeEvent) => void,
): Promise<TextRendition[]> {
  const out: TextRendition[] = []
  for (const j of jobs) {
    emit({ type: 'packaging', rendition: j.id })
    const t = await packageText(j.id, j.cues, video.segments, video.segments[0]!.start, staging)
    if (t.beyondEnd) emit({ type: 'note', message: `${j.id}: ${t.beyondEnd} cue(s) start after the video ends; they are only in full.vtt` })
    out.push({
      id: j.id,
      type: 'text',
      codec: 'webvtt',
      codecs: 'wvtt',
      language: j.language,
      name: j.name,
      forced: j.forced,
      origin: j.origin,
      cues: j.cues.length,
      ...bandwidths(t.segments),
      playlist: `${j.id}/index.m3u8`,
      segments: t.segments,
      sidecar: t.sidecar,
    })
  }
  return out
}

async function listFiles(dir: string, prefix = ''): Promise<FileEntry[]> {
  const out: FileEntry[] = []
  for (const e of (await readdir(join(dir, prefix), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)))
    else if (e.isFile() && rel !== 'title.json') out.push({ path: rel, bytes: (await stat(join(dir, rel))).size, sha256: await sha256File(join(dir, rel)) })
  }
  return out
}

/** Replace `target` with `staging` so readers see the old package or the new one, never a mix. */
async function swapInto(staging: string, target: string, workDir: string): Promise<void> {
  await mkdir(join(target, '..'), { recursive: true })
  const old = join(workDir, `old-${randomBytes(4).toString('hex')}`)
  let moved = false
  try {
    await rename(target, old)
    moved = true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await rename(staging, target)
  if (moved) await rm(old, { recursive: true, force: true })
}
