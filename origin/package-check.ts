import { lstat } from 'node:fs/promises'
import { join } from 'node:path'
import { isOclabError } from '../lib/errors.js'
import { sha256File } from '../lib/hash.js'
import { isSafeRelativePath } from '../lib/http/safe-path.js'
import { isSafeTitleId, readTitle, type Title } from '../lib/title-package.js'

/**
 * Check a title package the way the origin accepts one: title.json valid,
 * every file it lists present as a regular file inside the package with the
 * listed size and sha256, and every rendition's init, playlist and segments
 * listed (a segment missing from `files` would never be pre-positioned or
 * verified). Returns every problem found, not just the first, so a rejected
 * ingest says all that is wrong with the package at once.
 */
export interface PackageCheck {
  title?: Title
  problems: string[]
}

export async function checkPackage(dir: string): Promise<PackageCheck> {
  let title: Title
  try {
    title = await readTitle(dir)
  } catch (err) {
    if (isOclabError(err)) return { problems: [err.message] }
    throw err
  }
  const problems: string[] = []
  if (!isSafeTitleId(title.id)) problems.push(`title id "${title.id}" is not usable as a directory and URL segment`)
  const listed = new Map<string, { bytes: number; sha256: string }>()
  for (const f of title.files) {
    if (listed.has(f.path)) problems.push(`${f.path}: listed twice in files`)
    listed.set(f.path, f)
  }
  const mustList = (path: string, expect?: { bytes: number; sha256: string }): void => {
    const l = listed.get(path)
    if (!l) problems.push(`${path}: used by a rendition or manifest but not listed in files`)
    else if (expect && (l.bytes !== expect.bytes || l.sha256 !== expect.sha256))
      problems.push(`${path}: files and the rendition disagree on its size or sha256`)
  }
  mustList(title.hls)
  mustList(title.dash)
  for (const r of [...title.video, ...title.audio]) {
    mustList(r.init.path, r.init)
    mustList(r.playlist)
    for (const s of r.segments) mustList(s.uri, s)
  }
  // version 3 subtitles: WebVTT segments (no init) and the whole file the MPD names; versions 1 and 2 have none
  for (const r of title.text ?? []) {
    mustList(r.playlist)
    mustList(r.sidecar.path, r.sidecar)
    for (const s of r.segments) mustList(s.uri, s)
  }
  await Promise.all(
    title.files.map(async (f) => {
      if (!isSafeRelativePath(f.path)) {
        problems.push(`${f.path}: not a safe package path`)
        return
      }
      const file = join(dir, ...f.path.split('/'))
      const st = await lstat(file).catch(() => undefined)
      if (!st) return void problems.push(`${f.path}: missing`)
      if (!st.isFile()) return void problems.push(`${f.path}: not a regular file`)
      if (st.size !== f.bytes) return void problems.push(`${f.path}: ${st.size} bytes, title.json lists ${f.bytes}`)
      if ((await sha256File(file)) !== f.sha256) problems.push(`${f.path}: sha256 does not match title.json`)
    }),
  )
  problems.sort()
  return { title, problems }
}
