import { type Title, validateTitle } from '../../lib/title-package.js'

const sha = 'b'.repeat(64)
const file = (path: string, bytes = 100) => ({ path, bytes, sha256: sha })

/** Four 2 s video segments per rung; each rung's segments are its bitrate × 2 s, so a rung's bytes are known by hand. */
const video = (id: string, codec: string, codecs: string, height: number, bandwidth: number) => ({
  id,
  type: 'video' as const,
  codec,
  codecs,
  bandwidth,
  averageBandwidth: bandwidth,
  init: file(`${id}/init.mp4`),
  playlist: `${id}/index.m3u8`,
  width: (height * 16) / 9,
  height,
  frameRate: 25,
  targetBitrate: bandwidth,
  quality: { ssim: 0.98, psnr: 40 },
  segments: [0, 1, 2, 3].map((i) => ({ uri: `${id}/seg-0000${i + 1}.m4s`, bytes: (bandwidth * 2) / 8, duration: 2, start: i * 2, sha256: sha })),
})

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
    source: {
      file: 'src.mp4',
      format: 'mp4',
      bytes: 1,
      duration: 8,
      video: {
        codec: 'h264',
        width: 1280,
        height: 720,
        frameRate: 25,
        frameCount: 200,
        pixelFormat: 'yuv420p',
        colorTransfer: 'bt709',
        colorPrimaries: 'bt709',
        colorSpace: 'bt709',
        dynamicRange: 'SDR',
        startTime: 0,
      },
      audio: [],
      warnings: [],
    },
    ladder: { kind: 'fixed', qualityMetric: 'ssim', notes: [], probes: [] },
    encode: { codec: 'h264', preset: 'fast', chunkDuration: 2, chunks: 4, jobs: 16, retries: 0, qualityGateReencodes: 0, resumedJobs: 0, qualityModel: null },
    hls: 'master.m3u8',
    dash: 'manifest.mpd',
    video: [
      video('v360p-800k', 'h264', 'avc1.64001e', 360, 1_000_000),
      video('v720p-3000k', 'h264', 'avc1.64001f', 720, 3_600_000),
      video('av1-v360p-500k', 'av1', 'av01.0.04M.08', 360, 620_000),
      video('av1-v720p-1800k', 'av1', 'av01.0.05M.08', 720, 2_200_000),
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
