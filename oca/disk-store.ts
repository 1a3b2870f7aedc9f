import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { commitFile, writeFileAtomic } from '../lib/atomic-file.js'
import { ErrorCodes, OclabError } from '../lib/errors.js'
import { sha256File } from '../lib/hash.js'
import { isSafeRelativePath, titleFile } from '../lib/http/safe-path.js'
import { isSafeTitleId, validateTitleFiles } from '../lib/title-package.js'
import type { HeldTitle } from './api.js'
import { chooseVictims, type EvictionPolicy } from './eviction.js'

/**
 * The node's disk tier: `<dir>/titles/<titleId>/<path>`, the same layout as
 * the origin's master store. An in-memory index holds every object's size,
 * hash and access stats, so a lookup never touches the filesystem and the
 * capacity check is exact. Writes only land through `commit` (temp name,
 * fsync, rename), so a name in the index is always a complete, verified file.
 */
export interface StoredObject {
  titleId: string
  path: string
  bytes: number
  sha256: string
  mtimeMs: number
  lastAccess: number
  hits: number
}

export interface DiskStoreOptions {
  dir: string
  capacityBytes: number
  policy: EvictionPolicy
  /** called for each evicted or purged object (drop it from the hot tier, count it) */
  onRemove?: (o: StoredObject, reason: 'evict' | 'purge') => void
  now?: () => number
}

const PINS_FILE = '.oca-pins.json'
const keyOf = (titleId: string, path: string): string => `${titleId}/${path}`

export class DiskStore {
  private readonly objects = new Map<string, StoredObject>()
  private readonly pins = new Set<string>()
  /** sizes and hashes listed by the title.json files held, to verify fills on miss */
  private readonly listed = new Map<string, { bytes: number; sha256: string }>()
  private used = 0
  private reserved = 0
  private readonly now: () => number

  constructor(private readonly opts: DiskStoreOptions) {
    this.now = opts.now ?? Date.now
  }

  get dir(): string {
    return this.opts.dir
  }

  /** Create the store if needed, load pins, index what is on disk, drop temp files of interrupted fills. */
  async open(): Promise<void> {
    const titles = join(this.opts.dir, 'titles')
    await mkdir(titles, { recursive: true })
    try {
      const pins = JSON.parse(await readFile(join(this.opts.dir, PINS_FILE), 'utf8')) as unknown
      if (Array.isArray(pins)) for (const p of pins) if (typeof p === 'string' && isSafeTitleId(p)) this.pins.add(p)
    } catch {
      // no pins yet
    }
    const found: { titleId: string; path: string; file: string }[] = []
    for (const d of await readdir(titles, { recursive: true, withFileTypes: true })) {
      const file = join(d.parentPath, d.name)
      if (d.name.startsWith('.') && d.name.endsWith('.tmp')) {
        await rm(file, { force: true })
        continue
      }
      // Only regular files: a symlink in the store is never indexed, so never served.
      if (!d.isFile()) continue
      const [titleId, ...rest] = relative(titles, file).split(sep)
      const path = rest.join('/')
      if (!titleId || !isSafeTitleId(titleId) || !isSafeRelativePath(path)) continue
      found.push({ titleId, path, file })
    }
    for (const f of found) if (f.path === 'title.json') await this.loadListing(f.titleId, f.file)
    for (const f of found) {
      const st = await stat(f.file)
      const listed = this.listed.get(keyOf(f.titleId, f.path))
      const sha256 = listed && listed.bytes === st.size ? listed.sha256 : await sha256File(f.file)
      this.index({ titleId: f.titleId, path: f.path, bytes: st.size, sha256, mtimeMs: st.mtimeMs, lastAccess: st.mtimeMs, hits: 0 })
    }
  }

  /**
   * Remember the sizes and hashes a title.json lists. Files under a name were
   * verified when they were filled, so trusting the list at start-up saves
   * hashing the whole store (unlisted files are hashed), and a fill on miss
   * of a listed file is verified against it.
   */
  private async loadListing(titleId: string, file: string): Promise<void> {
    try {
      const { files } = validateTitleFiles(JSON.parse(await readFile(file, 'utf8')), file)
      for (const e of files) this.listed.set(keyOf(titleId, e.path), { bytes: e.bytes, sha256: e.sha256 })
    } catch {
      // an unreadable or invalid title.json only costs hashing and unverified misses
    }
  }

  /** The size and hash a held title.json promises for a path, if any. */
  expected(titleId: string, path: string): { bytes: number; sha256: string } | undefined {
    return this.listed.get(keyOf(titleId, path))
  }

  private index(o: StoredObject): void {
    const key = keyOf(o.titleId, o.path)
    const old = this.objects.get(key)
    if (old) this.used -= old.bytes
    this.objects.set(key, o)
    this.used += o.bytes
  }

  /** Look up an object without touching disk; `touch` records a serve for eviction. */
  get(titleId: string, path: string, touch = true): StoredObject | undefined {
    const o = this.objects.get(keyOf(titleId, path))
    if (o && touch) {
      o.lastAccess = this.now()
      o.hits++
    }
    return o
  }

  fileOf(o: { titleId: string; path: string }): string {
    return titleFile(this.opts.dir, o)
  }

  /**
   * Claim `bytes` of capacity for a fill, evicting by policy if needed. Throws
   * STORE_FULL (nothing evicted) when pinned objects and other fills in flight
   * leave no room. Call the returned release exactly once, after commit or on
   * failure.
   */
  async reserve(bytes: number): Promise<() => void> {
    const need = this.used + this.reserved + bytes - this.opts.capacityBytes
    if (need > 0) {
      const candidates = [...this.objects.entries()].map(([key, o]) => ({
        key,
        bytes: o.bytes,
        lastAccess: o.lastAccess,
        hits: o.hits,
        pinned: this.pins.has(o.titleId),
      }))
      const victims = chooseVictims(candidates, need, this.opts.policy)
      if (!victims) {
        throw new OclabError(
          ErrorCodes.STORE_FULL,
          `disk store full: ${bytes} bytes needed, ${this.opts.capacityBytes - this.used - this.reserved} free and the rest pinned or filling`,
        )
      }
      // Account first, unlink after: concurrent reservations must see the space as taken.
      const gone = victims.map((k) => this.objects.get(k)!)
      for (const o of gone) this.forget(o)
      this.reserved += bytes
      await Promise.all(
        gone.map(async (o) => {
          await rm(this.fileOf(o), { force: true })
          this.opts.onRemove?.(o, 'evict')
        }),
      )
    } else {
      this.reserved += bytes
    }
    let released = false
    return () => {
      if (!released) this.reserved -= bytes
      released = true
    }
  }

  private forget(o: StoredObject): void {
    if (this.objects.get(keyOf(o.titleId, o.path)) === o) {
      this.objects.delete(keyOf(o.titleId, o.path))
      this.used -= o.bytes
    }
  }

  /** Move a verified temp file into place and index it. */
  async commit(titleId: string, path: string, tmp: string, meta: { bytes: number; sha256: string }): Promise<StoredObject> {
    const file = titleFile(this.opts.dir, { titleId, path })
    await commitFile(tmp, file)
    const st = await stat(file)
    const o: StoredObject = { titleId, path, bytes: meta.bytes, sha256: meta.sha256, mtimeMs: st.mtimeMs, lastAccess: this.now(), hits: 0 }
    this.index(o)
    if (path === 'title.json') await this.loadListing(titleId, file)
    return o
  }

  /** Remove a title's files and pin. Returns the bytes freed. */
  async purge(titleId: string): Promise<number> {
    const gone = [...this.objects.values()].filter((o) => o.titleId === titleId)
    for (const o of gone) this.forget(o)
    for (const k of [...this.listed.keys()]) if (k.startsWith(`${titleId}/`)) this.listed.delete(k)
    await rm(join(this.opts.dir, 'titles', titleId), { recursive: true, force: true })
    for (const o of gone) this.opts.onRemove?.(o, 'purge')
    if (this.pins.delete(titleId)) await this.savePins()
    return gone.reduce((s, o) => s + o.bytes, 0)
  }

  async setPinned(titleId: string, pinned: boolean): Promise<void> {
    if (pinned === this.pins.has(titleId)) return
    if (pinned) this.pins.add(titleId)
    else this.pins.delete(titleId)
    await this.savePins()
  }

  isPinned(titleId: string): boolean {
    return this.pins.has(titleId)
  }

  private async savePins(): Promise<void> {
    await writeFileAtomic(join(this.opts.dir, PINS_FILE), JSON.stringify([...this.pins].sort()))
  }

  usage(): { usedBytes: number; reservedBytes: number; capacityBytes: number; objects: number } {
    return { usedBytes: this.used, reservedBytes: this.reserved, capacityBytes: this.opts.capacityBytes, objects: this.objects.size }
  }

  titleIds(): string[] {
    return [...new Set([...this.objects.values()].map((o) => o.titleId))].sort()
  }

  titles(): HeldTitle[] {
    const by = new Map<string, HeldTitle>()
    for (const o of this.objects.values()) {
      let t = by.get(o.titleId)
      if (!t) {
        t = { id: o.titleId, bytes: 0, pinned: this.pins.has(o.titleId), files: [] }
        by.set(o.titleId, t)
      }
      t.bytes += o.bytes
      t.files.push({ path: o.path, bytes: o.bytes, sha256: o.sha256 })
    }
    for (const t of by.values()) t.files.sort((a, b) => a.path.localeCompare(b.path))
    return [...by.values()].sort((a, b) => a.id.localeCompare(b.id))
  }
}
