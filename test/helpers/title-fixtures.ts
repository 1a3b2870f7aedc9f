import { type Title, validateTitle } from '../../lib/title-package.js'

/**
 * Hand-made title.json packages for the simulator's and readers' tests, whose
 * sizes are known by hand (a real encode's are not). Each is validated by
 * lib/title-package.ts, so a schema change fails here first.
 */
const sha = 'b'.repeat(64)
const file = (path: string, bytes = 100) => ({ path, bytes, sha256: sha })

/** The inspection of a 720p25 H.264 source of `duration` seconds. */
const source = (duration: number) => ({
  file: 'src.mp4',
  format: 'mp4',
  bytes: 1,
  duration,
  video: {
    codec: 'h264',
    width: 1280,
    height: 720,
    frameRate: 25,
    frameCount: duration * 25,
    pixelFormat: 'yuv420p',
    colorTransfer: 'bt709',
    colorPrimaries: 'bt709',
    colorSpace: 'bt709',
    dynamicRange: 'SDR',
    startTime: 0,
  },
  audio: [],
  warnings: [],
})

const encode = (chunkDuration: number, chunks: number) => ({
  codec: 'h264',
  preset: 'fast',
  chunkDuration,
  chunks,
  jobs: chunks,
  retries: 0,
  qualityGateReencodes: 0,
  resumedJobs: 0,
  qualityModel: null,
})

interface VideoFixture {
  id: string
  codec?: string
  codecs?: string
  height: number
  bandwidth: number
  averageBandwidth?: number
  /** each segment's bytes and duration, and VMAF when given */
  segments: Array<{ bytes: number; duration: number; vmaf?: number }>
}

const video = (v: VideoFixture) => {
  let start = 0
  const vmafs = v.segments.flatMap((s) => (s.vmaf === undefined ? [] : [s.vmaf]))
  return {
    id: v.id,
    type: 'video' as const,
    codec: v.codec ?? 'h264',
    codecs: v.codecs ?? 'avc1.64001f',
    bandwidth: v.bandwidth,
    averageBandwidth: v.averageBandwidth ?? v.bandwidth,
    init: file(`${v.id}/init.mp4`, 800),
    playlist: `${v.id}/index.m3u8`,
    width: (v.height * 16) / 9,
    height: v.height,
    frameRate: 25,
    targetBitrate: v.averageBandwidth ?? v.bandwidth,
    quality: vmafs.length ? { vmaf: vmafs.reduce((a, b) => a + b) / vmafs.length, ssim: 0.98, psnr: 40 } : { ssim: 0.98, psnr: 40 },
    segments: v.segments.map((s, i) => {
      const seg = {
        uri: `${v.id}/seg-0000${i + 1}.m4s`,
        bytes: s.bytes,
        duration: s.duration,
        start,
        sha256: sha,
        ...(s.vmaf === undefined ? {} : { quality: { vmaf: s.vmaf, ssim: 0.98, psnr: 40 } }),
      }
      start += s.duration
      return seg
    }),
  }
}

/**
 * A version-1 title: two H.264 rungs (800k and 3M) of three segments (4, 4 and 2 s) with exact sizes and
 * per-segment VMAF, the high rung listed first (the loader sorts by bitrate).
 */
export function twoRungTitle(): Title {
  const rung = (id: string, height: number, kbps: number, sizes: number[], vmaf: number[]) =>
    video({
      id,
      height,
      bandwidth: kbps * 1250,
      averageBandwidth: kbps * 1000,
      segments: sizes.map((bytes, i) => ({ bytes, duration: i === 2 ? 2 : 4, vmaf: vmaf[i]! })),
    })
  return validateTitle({
    version: 1,
    id: 'demo',
    createdAt: '2026-01-01T00:00:00Z',
    duration: 10,
    segmentDuration: 4,
    source: source(10),
    ladder: { kind: 'fixed', qualityMetric: 'vmaf', notes: [], probes: [] },
    encode: { ...encode(4, 3), jobs: 1 },
    hls: 'master.m3u8',
    dash: 'manifest.mpd',
    video: [rung('720p', 720, 3000, [1_500_000, 1_400_000, 700_000], [92, 94, 93]), rung('360p', 360, 800, [400_000, 380_000, 190_000], [70, 74, 72])],
    audio: [],
    files: [file('360p/init.mp4', 800)],
  })
}

/** Four 2 s video segments per rung; each rung's segments are its bitrate × 2 s, so a rung's bytes are known by hand. */
const ladderRung = (id: string, codec: string, codecs: string, height: number, bandwidth: number) =>
  video({ id, codec, codecs, height, bandwidth, segments: [0, 1, 2, 3].map(() => ({ bytes: (bandwidth * 2) / 8, duration: 2 })) })

/** Audio on its own 1.5 s grid (starts 0, 1.5, 3, 4.5, 6, 7.5; the last 0.5 s), as AAC frames cut it. */
const audio = (language: string, segmentBytes: number) => ({
  id: `audio-${language}`,
  type: 'audio' as const,
  codec: 'aac',
  codecs: 'mp4a.40.2',
  bandwidth: 128_000,
  averageBandwidth: 128_000,
  init: file(`audio-${language}/init.mp4`),
  playlist: `audio-${language}/index.m3u8`,
  language,
  name: language === 'en' ? 'English' : 'Français',
  channels: 2,
  sampleRate: 48_000,
  segments: [0, 1, 2, 3, 4, 5].map((i) => ({
    uri: `audio-${language}/seg-0000${i + 1}.m4s`,
    bytes: i === 5 ? segmentBytes / 3 : segmentBytes,
    duration: i === 5 ? 0.5 : 1.5,
    start: i * 1.5,
    sha256: sha,
  })),
})

export const AUDIO_EN_BYTES_PER_PERIOD = [48_000, 24_000, 24_000, 32_000]
export const TEXT_BYTES_PER_SEGMENT = 250

/**
 * A title.json version 3 with an H.264 ladder (1.0 and 3.6 Mbit/s) and an AV1 one (0.62 and 2.2 Mbit/s),
 * English and French audio and English subtitles; validated by lib/title-package.ts. H.264 is the main codec.
 */
export function multiCodecTitle(): Title {
  return validateTitle({
    version: 3,
    id: 'multi',
    createdAt: '2026-12-06T00:00:00Z',
    duration: 8,
    segmentDuration: 2,
    source: source(8),
    ladder: { kind: 'fixed', qualityMetric: 'ssim', notes: [], probes: [] },
    encode: { ...encode(2, 4), jobs: 16 },
    hls: 'master.m3u8',
    dash: 'manifest.mpd',
    video: [
      ladderRung('v360p-800k', 'h264', 'avc1.64001e', 360, 1_000_000),
      ladderRung('v720p-3000k', 'h264', 'avc1.64001f', 720, 3_600_000),
      ladderRung('av1-v360p-500k', 'av1', 'av01.0.04M.08', 360, 620_000),
      ladderRung('av1-v720p-1800k', 'av1', 'av01.0.05M.08', 720, 2_200_000),
    ],
    audio: [audio('en', 24_000), audio('fr', 21_000)],
    text: [
      {
        id: 'text-en',
        type: 'text',
        codec: 'webvtt',
        codecs: 'wvtt',
        language: 'en',
        name: 'English',
        forced: false,
        origin: 'file:en.vtt',
        cues: 4,
        bandwidth: 1000,
        averageBandwidth: 1000,
        playlist: 'text-en/index.m3u8',
        segments: [0, 1, 2, 3].map((i) => ({
          uri: `text-en/seg-0000${i + 1}.vtt`,
          bytes: TEXT_BYTES_PER_SEGMENT,
          duration: 2,
          start: i * 2,
          sha256: sha,
          cues: 1,
        })),
        sidecar: file('text-en/subtitles.vtt', 1000),
      },
    ],
    files: [file('v360p-800k/init.mp4')],
  })
}
