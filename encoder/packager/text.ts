import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../../lib/atomic-file.js'
import { sha256 } from '../../lib/hash.js'
import { type Cue, writeWebVtt } from '../../lib/media/webvtt.js'
import type { FileEntry, TextSegment } from '../../lib/title-package.js'
import { segmentFileName } from './segment-names.js'
import { segmentCues } from './webvtt-segments.js'

export interface PackagedText {
  segments: TextSegment[]
  /** `<id>/full.vtt`: every cue, for the MPD (dash.js reads text/vtt whole) */
  sidecar: FileEntry
  /** cues that start at or after the grid's end: in full.vtt, in no segment */
  beyondEnd: number
}

const file = (path: string, text: string): FileEntry & { data: Buffer } => {
  const data = Buffer.from(text, 'utf8')
  return { path, bytes: data.length, sha256: sha256(data), data }
}

/**
 * Write a subtitle rendition under `<outDir>/<id>/`: `seg-00001.vtt`… on
 * the video's segment grid and `full.vtt` (docs/ARCHITECTURE.md, package
 * layout). `mediaZero` is the media time a cue at LOCAL 0 maps to
 * (webvtt-segments.ts).
 */
export async function packageText(
  id: string,
  cues: readonly Cue[],
  grid: readonly { start: number; duration: number }[],
  mediaZero: number,
  outDir: string,
): Promise<PackagedText> {
  await mkdir(join(outDir, id), { recursive: true })
  const segments: TextSegment[] = []
  for (const [i, s] of segmentCues(cues, grid, mediaZero).entries()) {
    const f = file(`${id}/${segmentFileName(i + 1, 'vtt')}`, s.text)
    await writeFileAtomic(join(outDir, f.path), f.data)
    segments.push({ uri: f.path, bytes: f.bytes, duration: grid[i]!.duration, start: grid[i]!.start, sha256: f.sha256, cues: s.cues })
  }
  const { data, ...sidecar } = file(`${id}/full.vtt`, writeWebVtt(cues))
  await writeFileAtomic(join(outDir, sidecar.path), data)
  const last = grid.at(-1)
  const end = last ? last.start + last.duration : 0
  return { segments, sidecar, beyondEnd: cues.filter((c) => c.start >= end).length }
}
