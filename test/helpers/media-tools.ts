import { existsSync } from 'node:fs'
import { ffmpegPath, ffprobePath } from '../../lib/ffmpeg.js'

/**
 * Why tests that run ffmpeg/ffprobe cannot run here (for tap's `skip`), or
 * false when both binaries are present. A missing installer package throws
 * from ffmpegPath(); that is a reason too, not a crash of the test file.
 */
export function mediaToolsMissing(): string | false {
  const missing: string[] = []
  for (const [name, path] of [
    ['ffmpeg', ffmpegPath],
    ['ffprobe', ffprobePath],
  ] as const) {
    try {
      const p = path()
      if (!existsSync(p)) missing.push(`${name} (${p})`)
    } catch (err) {
      missing.push(`${name} (${(err as Error).message})`)
    }
  }
  return missing.length ? `not found: ${missing.join(', ')}; set FFMPEG_PATH/FFPROBE_PATH or install @ffmpeg-installer` : false
}
