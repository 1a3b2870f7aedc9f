import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type EncodeOptions, type EncodeResult, encodeTitle } from '../../encoder/encode-title.js'
import { generateSource, type SourceKind, subtitleSidecarOf } from '../../encoder/synthetic-source.js'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The VMAF model in ../shared/vmaf, which CI has beside the repo. */
export const VMAF_MODEL = resolve(repoRoot, '..', 'shared', 'vmaf', 'vmaf_v0.6.1.pkl')
export const hasVmafModel = existsSync(VMAF_MODEL)

export async function tempDir(t: { teardown(fn: () => unknown): void }, prefix = 'oclab-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export interface TestSourceOptions {
  kind?: SourceKind
  duration?: number
  width?: number
  height?: number
  frameRate?: number
  audio?: boolean
  /** A second audio language (fra). Default true. */
  secondAudio?: boolean
}

/** A tiny synthetic source: a few seconds at a small size, so tests stay fast. */
export async function testSource(dir: string, o: TestSourceOptions = {}): Promise<string> {
  const out = join(dir, `${o.kind ?? 'simple'}-${o.width ?? 320}x${o.height ?? 180}.mp4`)
  return generateSource({
    kind: o.kind ?? 'simple',
    out,
    duration: o.duration ?? 4,
    width: o.width ?? 320,
    height: o.height ?? 180,
    frameRate: o.frameRate ?? 25,
    audio: o.audio ?? true,
    secondAudio: o.secondAudio ?? true,
  })
}

/**
 * Encode a small source into a fresh store; fixed ladder and 1 s segments by
 * default (quick and several segments). The source carries English and
 * French audio and its English subtitle sidecar is passed, so the package
 * has `audio-en`, `audio-fr` and `text-en` (docs/ARCHITECTURE.md).
 */
export async function testPackage(
  dir: string,
  src: TestSourceOptions = {},
  enc: Partial<EncodeOptions> = {},
): Promise<EncodeResult & { store: string; source: string }> {
  const source = await testSource(dir, src)
  const store = join(dir, 'store')
  const subtitles = [{ file: subtitleSidecarOf(source), language: 'en' }]
  const r = await encodeTitle({ source, store, titleId: 'test-title', ladder: 'fixed', segmentDuration: 1, vmafModel: null, subtitles, ...enc })
  return { ...r, store, source }
}
