import { ErrorCodes, OclabError } from './errors.js'
import { ffmpegPath, runProcess } from './ffmpeg.js'

/**
 * Which ffmpeg build does what. Two builds meet on this lab's machines: the
 * bundled static one (@ffmpeg-installer, 2018: libx264, libx265, libvmaf 1.3,
 * an old libaom) and Debian's /usr/bin/ffmpeg (5.1: libx264, libx265,
 * libsvtav1, librav1e, libaom, scdet; no libvmaf). Quality (VMAF, SSIM, PSNR),
 * inspection and audio stay on the quality build (`ffmpegPath()`:
 * `FFMPEG_PATH`, else the bundled one), which has libvmaf; each video codec is
 * encoded by the first build of the lookup order that has its encoder.
 */

/** Debian's ffmpeg package: where `apt-get install ffmpeg` puts it. */
export const DEBIAN_FFMPEG = '/usr/bin/ffmpeg'

export interface FfmpegBuild {
  path: string
  /** `ffmpeg -version`'s version word, e.g. `5.1.9-0+deb12u1` */
  version: string
  /** encoder name → its capability flags (`V....D`; an `X` in the fourth place is experimental) */
  encoders: Map<string, string>
  filters: Set<string>
}

/** `ffmpeg -hide_banner -encoders` lines (` V....D libx264  description`) → name → flags. */
export function parseEncoderList(text: string): Map<string, string> {
  const out = new Map<string, string>()
  let listing = false
  for (const line of text.split('\n')) {
    // the legend above the list ends with a dashed line
    if (/^\s*-{4,}\s*$/.test(line)) {
      listing = true
      continue
    }
    const m = /^\s*([VASFXBD.]{6})\s+(\S+)/.exec(line)
    if (listing && m) out.set(m[2]!, m[1]!)
  }
  return out
}

/** `ffmpeg -hide_banner -filters` lines (` ... libvmaf  VV->V  description`) → names. */
export function parseFilterList(text: string): Set<string> {
  const out = new Set<string>()
  for (const line of text.split('\n')) {
    const m = /^\s*[TSC.]{3}\s+(\S+)\s+\S+->\S+/.exec(line)
    if (m) out.add(m[1]!)
  }
  return out
}

/** `ffmpeg version 5.1.9-0+deb12u1 Copyright …` → `5.1.9-0+deb12u1`. */
export function parseVersion(text: string): string {
  return /^\S+ version (\S+)/m.exec(text)?.[1] ?? 'unknown'
}

const probed = new Map<string, Promise<FfmpegBuild | null>>()

/** What one ffmpeg binary can do (cached per path), or null when it does not run. */
export function probeBuild(path: string): Promise<FfmpegBuild | null> {
  let p = probed.get(path)
  if (!p) {
    p = (async () => {
      try {
        const [version, encoders, filters] = await Promise.all([
          runProcess(path, ['-hide_banner', '-version']),
          runProcess(path, ['-hide_banner', '-encoders']),
          runProcess(path, ['-hide_banner', '-filters']),
        ])
        if (version.code !== 0 || encoders.code !== 0) return null
        return { path, version: parseVersion(version.stdout), encoders: parseEncoderList(encoders.stdout), filters: parseFilterList(filters.stdout) }
      } catch {
        return null
      }
    })()
    probed.set(path, p)
  }
  return p
}

export interface EncoderChoice {
  /** `--encoder-ffmpeg` (or `OCLAB_ENCODER_FFMPEG`): only this build encodes. */
  encoderFfmpeg?: string
}

/**
 * The builds asked, in order, for an encoder. An explicit encoder build is
 * the only one; otherwise the quality build first (so the default H.264
 * encode needs nothing beyond `npm ci` and stays byte for byte what it was),
 * then Debian's.
 */
export function encoderLookupOrder(choice: EncoderChoice = {}): { paths: string[]; explicit: boolean } {
  const explicit = choice.encoderFfmpeg ?? process.env.OCLAB_ENCODER_FFMPEG
  if (explicit) return { paths: [explicit], explicit: true }
  return { paths: [...new Set([ffmpegPath(), DEBIAN_FFMPEG])], explicit: false }
}

export interface EncoderBuild {
  /** the ffmpeg encoder, e.g. libsvtav1 */
  encoder: string
  path: string
  version: string
}

/**
 * The first build of the lookup order with `encoder` (not experimental), or
 * an OCLAB_ERR_MISSING_ENCODER naming every build asked and what to install.
 */
export async function findEncoder(encoder: string, install: string, choice: EncoderChoice = {}): Promise<EncoderBuild> {
  const { paths, explicit } = encoderLookupOrder(choice)
  const asked: string[] = []
  for (const path of paths) {
    const build = await probeBuild(path)
    if (!build) {
      asked.push(`${path} (does not run)`)
      continue
    }
    const flags = build.encoders.get(encoder)
    if (flags && flags[3] !== 'X') return { encoder, path, version: build.version }
    asked.push(`${path} ${build.version} (${flags ? `${encoder} is experimental there` : `no ${encoder}`})`)
  }
  const how = explicit
    ? `point --encoder-ffmpeg (or OCLAB_ENCODER_FFMPEG) at an ffmpeg built with ${encoder}, or leave it unset to use the lookup order`
    : `${install}, or point --encoder-ffmpeg (or OCLAB_ENCODER_FFMPEG) at an ffmpeg built with ${encoder}`
  throw new OclabError(ErrorCodes.MISSING_ENCODER, `no ffmpeg with the ${encoder} encoder: asked ${asked.join('; ')}. ${how}`, { encoder, asked })
}

export interface QualityBuild {
  path: string
  version: string
  libvmaf: boolean
}

/** The quality build (`ffmpegPath()`) and whether it can score VMAF. */
export async function qualityBuild(): Promise<QualityBuild> {
  const path = ffmpegPath()
  const build = await probeBuild(path)
  if (!build) throw new OclabError(ErrorCodes.FFMPEG, `cannot run ${path} (set FFMPEG_PATH)`)
  return { path, version: build.version, libvmaf: build.filters.has('libvmaf') }
}
