import { mkdir, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isOclabError } from '../lib/errors.js'
import { sha256File } from '../lib/hash.js'
import { realFileInside, type TitlePath, titleFile } from '../lib/http/safe-path.js'
import type { TitleObject } from '../lib/http/title-serving.js'
import { type FileEntry, isSafeTitleId, readTitle, type Title } from '../lib/title-package.js'
import { type TitleSizes, titleSizes } from './title-sizes.js'

/**
 * The origin's master store: `<dir>/titles/<id>/…`, the same layout as the
 * encoder writes and the OCAs hold. Titles are indexed from their title.json
 * (re-read when it changes, so `ingest` into a running origin shows up on
 * the next look); objects are served straight from disk with the listed
 * sha256 as their validator, so the origin's ETags are the OCAs' ETags.
 */
export interface StoredTitle {
  title: Title
  /** title.json's own entry (it does not list itself) */
  titleJson: FileEntry
  sizes: TitleSizes
  mtimeMs: number
}

export class MasterStore {
  private readonly index = new Map<string, StoredTitle>()
  private readonly listed = new Map<string, Map<string, FileEntry>>()
  /** title.json files that failed to load, by title id: reported, never served as a catalog entry */
  readonly invalid = new Map<string, string>()

  constructor(readonly dir: string) {}

  /** Re-read every title.json that changed since the last look. */
  async refresh(): Promise<void> {
    const root = join(this.dir, 'titles')
    await mkdir(root, { recursive: true })
    const seen = new Set<string>()
    for (const d of await readdir(root, { withFileTypes: true })) {
      if (!d.isDirectory() || !isSafeTitleId(d.name)) continue
      const file = join(root, d.name, 'title.json')
      const st = await stat(file).catch(() => undefined)
      if (!st) continue
      seen.add(d.name)
      if (this.index.get(d.name)?.mtimeMs === st.mtimeMs) continue
      try {
        const title = await readTitle(file)
        if (title.id !== d.name) throw new Error(`title.json says id "${title.id}" but lives in titles/${d.name}`)
        const titleJson = { path: 'title.json', bytes: st.size, sha256: await sha256File(file) }
        this.index.set(d.name, { title, titleJson, sizes: titleSizes(title, st.size), mtimeMs: st.mtimeMs })
        this.listed.set(d.name, new Map([...title.files, titleJson].map((f) => [f.path, f])))
        this.invalid.delete(d.name)
      } catch (err) {
        if (!isOclabError(err) && !(err instanceof Error)) throw err
        this.index.delete(d.name)
        this.listed.delete(d.name)
        this.invalid.set(d.name, err.message)
      }
    }
    for (const id of [...this.index.keys()]) {
      if (seen.has(id)) continue
      this.index.delete(id)
      this.listed.delete(id)
    }
  }

  titles(): StoredTitle[] {
    return [...this.index.values()].sort((a, b) => (a.title.id < b.title.id ? -1 : 1))
  }

  get(titleId: string): StoredTitle | undefined {
    return this.index.get(titleId)
  }

  /**
   * The file behind a request and its validators. The hash is the one
   * title.json lists (when the size agrees): the store does not re-hash on
   * every request, so a file damaged after ingest is served under its listed
   * ETag and caught by the OCA, which verifies every fill against the list.
   */
  async object(t: TitlePath): Promise<{ file: string; object: TitleObject } | undefined> {
    const file = await realFileInside(this.dir, titleFile(this.dir, t))
    if (!file) return undefined
    const st = await stat(file).catch(() => undefined)
    if (!st?.isFile()) return undefined
    const listed = this.listed.get(t.titleId)?.get(t.path)
    const sha256 = listed && listed.bytes === st.size ? listed.sha256 : undefined
    return { file, object: { path: t.path, bytes: st.size, sha256, mtimeMs: st.mtimeMs } }
  }
}
