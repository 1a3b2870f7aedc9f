import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Static, Type } from '@sinclair/typebox'
import { ErrorCodes, OclabError } from './errors.js'
import { makeValidator } from './validate.js'

/**
 * The title package contract (../shared/DESIGN.md, docs/ARCHITECTURE.md):
 * encoder writes it, origin and OCAs verify fills against its sha256s, the
 * simulator reads exact segment sizes and per-segment quality from it.
 * Bump TITLE_VERSION on any incompatible change. Version 2: `video[]` may hold
 * several codecs' ladders (each rendition's `codec`), `ladders[]` has each
 * codec's ladder, `encode.ffmpeg` which build encoded what. Version 3: audio
 * renditions carry a display `name` and where they came from (`origin`), and
 * `text[]` holds segmented WebVTT subtitle renditions. Versions 1 and 2 still
 * read (no `text`, audio without `name`).
 */
export const TITLE_VERSION = 3
export const READABLE_TITLE_VERSIONS: readonly number[] = [1, 2, 3]

export const QualitySchema = Type.Object(
  {
    vmaf: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    ssim: Type.Number({ minimum: 0, maximum: 1 }),
    psnr: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
)

export const FileEntrySchema = Type.Object(
  {
    path: Type.String({ minLength: 1 }),
    bytes: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
)

export const SegmentSchema = Type.Object(
  {
    uri: Type.String({ minLength: 1 }),
    bytes: Type.Integer({ minimum: 1 }),
    duration: Type.Number({ exclusiveMinimum: 0 }),
    start: Type.Number({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    quality: Type.Optional(QualitySchema),
  },
  { additionalProperties: false },
)

const RenditionCommon = {
  id: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
  codec: Type.String(),
  codecs: Type.String({ description: 'RFC 6381 codecs parameter' }),
  bandwidth: Type.Integer({ minimum: 1, description: 'peak segment bitrate, bit/s, measured' }),
  averageBandwidth: Type.Integer({ minimum: 1, description: 'mean bitrate over the title, bit/s, measured' }),
  init: FileEntrySchema,
  playlist: Type.String({ description: 'the HLS media playlist, relative to the title dir' }),
  timescale: Type.Optional(Type.Integer({ minimum: 1, description: 'track timescale; segment start × timescale is the tfdt' })),
  segments: Type.Array(SegmentSchema, { minItems: 1 }),
}

export const VideoRenditionSchema = Type.Object(
  {
    ...RenditionCommon,
    type: Type.Literal('video'),
    width: Type.Integer({ minimum: 2 }),
    height: Type.Integer({ minimum: 2 }),
    frameRate: Type.Number({ exclusiveMinimum: 0 }),
    targetBitrate: Type.Integer({ minimum: 1, description: 'the ladder rung rate asked of the encoder, bit/s' }),
    quality: QualitySchema,
  },
  { additionalProperties: false },
)

export const AudioRenditionSchema = Type.Object(
  {
    ...RenditionCommon,
    type: Type.Literal('audio'),
    language: Type.String({ description: 'BCP 47 language tag (RFC 5646), `und` when unknown' }),
    name: Type.Optional(Type.String({ minLength: 1, description: "version 3: the name players show (the stream's title tag, else the language)" })),
    origin: Type.Optional(Type.String({ description: "version 3: `stream:N` for the source's Nth audio stream, `file:<basename>` for an added audio file" })),
    channels: Type.Integer({ minimum: 1 }),
    sampleRate: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
)

/** A subtitle cue's segment: WebVTT text, no init segment (RFC 8216 §3.5). */
export const TextSegmentSchema = Type.Object(
  {
    uri: Type.String({ minLength: 1 }),
    bytes: Type.Integer({ minimum: 1 }),
    duration: Type.Number({ exclusiveMinimum: 0 }),
    start: Type.Number({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    cues: Type.Integer({ minimum: 0, description: 'cues that show during this segment' }),
  },
  { additionalProperties: false },
)

/**
 * Version 3: a subtitle rendition, packaged as segmented WebVTT on the video's
 * segment grid (HLS SUBTITLES group, DASH text AdaptationSet).
 */
export const TextRenditionSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
    type: Type.Literal('text'),
    codec: Type.Literal('webvtt'),
    codecs: Type.Literal('wvtt', { description: 'RFC 6381 / ISO 14496-30 code for WebVTT' }),
    language: Type.String({ description: 'BCP 47 language tag (RFC 5646)' }),
    name: Type.String({ minLength: 1, description: 'the name players show' }),
    forced: Type.Boolean({ description: 'forced narrative subtitles (HLS FORCED=YES, DASH Role forced-subtitle)' }),
    origin: Type.String({ description: '`file:<basename>` of the WebVTT or SRT file it was made from' }),
    cues: Type.Integer({ minimum: 0 }),
    bandwidth: Type.Integer({ minimum: 1, description: 'peak segment bitrate, bit/s, measured' }),
    averageBandwidth: Type.Integer({ minimum: 1, description: 'mean bitrate over the title, bit/s, measured' }),
    playlist: Type.String({ description: 'the HLS media playlist, relative to the title dir' }),
    segments: Type.Array(TextSegmentSchema, { minItems: 1 }),
    sidecar: Type.Object(FileEntrySchema.properties, {
      additionalProperties: false,
      description: 'the whole WebVTT file, which the MPD references (dash.js reads text/vtt as one file, not as segments)',
    }),
  },
  { additionalProperties: false },
)

/** A shot found at ingest: hard cut to hard cut (or a piece of a long shot). */
export const ShotSchema = Type.Object(
  {
    startFrame: Type.Integer({ minimum: 0 }),
    frames: Type.Integer({ minimum: 1 }),
    start: Type.Number({ minimum: 0 }),
    duration: Type.Number({ exclusiveMinimum: 0 }),
    cut: Type.Union([Type.Literal('start'), Type.Literal('scene'), Type.Literal('split')], {
      description: "how the shot begins: the title's start, a detected scene cut, or a split of a long shot",
    }),
    score: Type.Optional(Type.Number({ description: 'scene-change score of the cut (0–1)' })),
  },
  { additionalProperties: false },
)

export const InspectionSchema = Type.Object(
  {
    file: Type.String(),
    format: Type.String(),
    bytes: Type.Integer({ minimum: 0 }),
    duration: Type.Number(),
    video: Type.Object({
      codec: Type.String(),
      width: Type.Integer(),
      height: Type.Integer(),
      frameRate: Type.Number(),
      frameCount: Type.Integer(),
      pixelFormat: Type.String(),
      colorTransfer: Type.String(),
      colorPrimaries: Type.String(),
      colorSpace: Type.String(),
      dynamicRange: Type.Union([Type.Literal('SDR'), Type.Literal('HDR10'), Type.Literal('HLG')]),
      startTime: Type.Number(),
    }),
    audio: Type.Array(
      Type.Object({
        index: Type.Integer(),
        codec: Type.String(),
        channels: Type.Integer(),
        sampleRate: Type.Integer(),
        language: Type.String(),
        title: Type.Optional(Type.String({ description: "the stream's title tag, when it has one (the audio rendition's default name)" })),
        startTime: Type.Number(),
        offsetFromVideo: Type.Number({ description: 'audio start minus video start, seconds (A/V sync)' }),
      }),
    ),
    warnings: Type.Array(Type.String()),
    /** optional, so packages written before shot detection still read as version 1 */
    shots: Type.Optional(Type.Array(ShotSchema, { description: 'shots detected at ingest, in order, covering every frame' })),
  },
  { additionalProperties: false },
)

export const HullPointSchema = Type.Object({
  width: Type.Integer(),
  height: Type.Integer(),
  bitrate: Type.Integer(),
  quality: Type.Number(),
  onHull: Type.Boolean(),
})

/** Shot-based ladders: how one rung's bits were spread over the shots. */
export const RungAllocationSchema = Type.Object(
  {
    rung: Type.String(),
    lambda: Type.Number({ minimum: 0, description: 'the common slope, quality per bit/s' }),
    bitrate: Type.Integer({ description: 'mean rate the probes predict, bit/s' }),
    quality: Type.Number({ description: 'mean quality the probes predict' }),
    shots: Type.Array(Type.Object({ crf: Type.Number(), bitrate: Type.Integer(), quality: Type.Number() }, { additionalProperties: false }), {
      description: 'per shot, in order',
    }),
  },
  { additionalProperties: false },
)

const ladderFields = {
  kind: Type.Union([Type.Literal('fixed'), Type.Literal('per-title'), Type.Literal('shot-based')]),
  qualityMetric: Type.Union([Type.Literal('vmaf'), Type.Literal('ssim')]),
  notes: Type.Array(Type.String()),
  probes: Type.Array(HullPointSchema),
  allocation: Type.Optional(Type.Array(RungAllocationSchema)),
}
const LadderSchema = Type.Object(ladderFields)

/** One ffmpeg build as title.json records it. */
const BuildSchema = {
  path: Type.String(),
  version: Type.String({ description: "`ffmpeg -version`'s version" }),
}

export const TitleSchema = Type.Object(
  {
    version: Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(TITLE_VERSION)]),
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }),
    createdAt: Type.String(),
    duration: Type.Number({ exclusiveMinimum: 0 }),
    segmentDuration: Type.Number({ exclusiveMinimum: 0 }),
    source: InspectionSchema,
    ladder: LadderSchema,
    /** version 2: every codec's own ladder (the first is `ladder`), in the order asked */
    ladders: Type.Optional(Type.Array(Type.Object({ codec: Type.String(), ...ladderFields }))),
    encode: Type.Object({
      codec: Type.String(),
      preset: Type.String(),
      chunkDuration: Type.Number(),
      chunks: Type.Integer({ minimum: 1 }),
      jobs: Type.Integer({ minimum: 1 }),
      retries: Type.Integer({ minimum: 0 }),
      qualityGateReencodes: Type.Integer({ minimum: 0 }),
      resumedJobs: Type.Integer({ minimum: 0 }),
      qualityModel: Type.Union([Type.String(), Type.Null()]),
      ffmpeg: Type.Optional(
        Type.Object(
          {
            quality: Type.Object({ ...BuildSchema, libvmaf: Type.Boolean() }, { description: 'the build that measured VMAF/SSIM/PSNR' }),
            video: Type.Array(Type.Object({ codec: Type.String(), encoder: Type.String(), preset: Type.String(), ...BuildSchema }), {
              description: 'per codec, the build that encoded it',
            }),
          },
          { description: 'which ffmpeg build did what (lib/ffmpeg-builds.ts)' },
        ),
      ),
    }),
    hls: Type.String(),
    dash: Type.String(),
    video: Type.Array(VideoRenditionSchema, { minItems: 1 }),
    audio: Type.Array(AudioRenditionSchema),
    /** version 3: subtitles; absent in versions 1 and 2 */
    text: Type.Optional(Type.Array(TextRenditionSchema)),
    files: Type.Array(FileEntrySchema, { minItems: 1, description: 'every file of the package except title.json' }),
  },
  { additionalProperties: false },
)

export type Quality = Static<typeof QualitySchema>
export type FileEntry = Static<typeof FileEntrySchema>
export type Segment = Static<typeof SegmentSchema>
export type VideoRendition = Static<typeof VideoRenditionSchema>
export type AudioRendition = Static<typeof AudioRenditionSchema>
export type TextRendition = Static<typeof TextRenditionSchema>
export type TextSegment = Static<typeof TextSegmentSchema>
/** Renditions with an init segment and CMAF media segments. */
export type Rendition = VideoRendition | AudioRendition
export type Inspection = Static<typeof InspectionSchema>
export type Shot = Static<typeof ShotSchema>
export type RungAllocation = Static<typeof RungAllocationSchema>
export type HullPoint = Static<typeof HullPointSchema>
export type Title = Static<typeof TitleSchema>
export type Ladder = Static<typeof LadderSchema>
export type CodecLadder = NonNullable<Title['ladders']>[number]

export const validateTitle = makeValidator(TitleSchema, ErrorCodes.BAD_TITLE, `title.json (version ${READABLE_TITLE_VERSIONS.join(' or ')})`)

/**
 * The part of title.json a cache node reads: the file list, with title.json's
 * own schema for it. A node verifies fills against the list; the rest of the
 * package is the origin's business (checked there at ingest), so a node does
 * not refuse a listing for a field it never reads.
 */
export const validateTitleFiles = makeValidator(Type.Object({ files: TitleSchema.properties.files }), ErrorCodes.BAD_TITLE, 'title.json file list')

/** Read and validate `<dir>/title.json` (or a path to the file itself). */
export async function readTitle(path: string): Promise<Title> {
  const file = path.endsWith('.json') ? path : join(path, 'title.json')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new OclabError(ErrorCodes.BAD_TITLE, `cannot read ${file}: ${(err as Error).message}`, undefined, { cause: err })
  }
  return parseTitleJson(text, file)
}

/** title.json's text (however it was read) as a Title: JSON, the version this oclab reads, the schema. */
export function parseTitleJson(text: string, file: string): Title {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new OclabError(ErrorCodes.BAD_TITLE, `${file} is not JSON: ${(err as Error).message}`, undefined, { cause: err })
  }
  if (typeof json === 'object' && json && 'version' in json && !READABLE_TITLE_VERSIONS.includes(json.version as number)) {
    throw new OclabError(ErrorCodes.BAD_TITLE, `${file} has version ${String(json.version)}; this oclab reads version ${READABLE_TITLE_VERSIONS.join(' or ')}`)
  }
  return validateTitle(json, file)
}

/** The package's JSON schema, for users and other tools (`oclab schema title`). */
export const titleJsonSchema = (): unknown => JSON.parse(JSON.stringify(TitleSchema))

/** Title ids become directory names and URL segments: keep them boring. */
export const isSafeTitleId = (id: string): boolean => /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id) && !id.includes('..')
