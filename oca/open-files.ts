import { close, open } from 'node:fs'
import type { StoredObject } from './disk-store.js'

/**
 * Open file descriptors of stored objects, kept for the next disk hit instead
 * of an open() and close() per answer (issue 21: "open file handles cached
 * and reused"), at most `max` of them (least recently used closed first).
 * Keyed by the StoredObject, not its path: a re-filled object is a new
 * StoredObject whose file replaced the old by rename, so an answer can never
 * read the old inode through a cached descriptor. A descriptor in use is
 * closed when its last answer ends.
 */
export class OpenFiles {
  private readonly held = new Map<StoredObject, { fd: number; users: number; retired: boolean }>()

  constructor(private readonly max = 256) {}

  /**
   * An open descriptor of the object's file and its release, called once when the answer ends; undefined when
   * `locate` (called only to open: the checked path, or undefined when the file is gone) finds no file.
   */
  async acquire(o: StoredObject, locate: () => Promise<string | undefined>): Promise<{ fd: number; release: () => void } | undefined> {
    const h = this.held.get(o)
    if (h) {
      // Most recently used last: re-insert.
      this.held.delete(o)
      this.held.set(o, h)
      h.users++
      return { fd: h.fd, release: this.releaser(o, h) }
    }
    const file = await locate()
    if (file === undefined) return undefined
    return new Promise((resolve, reject) => {
      open(file, 'r', (err, fd) => {
        if (err) return reject(err)
        // Another answer may have opened it meanwhile: keep one, close the other when done.
        const entry = { fd, users: 1, retired: this.held.has(o) }
        if (!entry.retired) {
          this.held.set(o, entry)
          this.trim()
        }
        resolve({ fd, release: this.releaser(o, entry) })
      })
    })
  }

  /** The object left the store: close its descriptor once no answer reads it. */
  forget(o: StoredObject): void {
    const h = this.held.get(o)
    if (!h) return
    this.held.delete(o)
    h.retired = true
    if (h.users === 0) close(h.fd, () => undefined)
  }

  get size(): number {
    return this.held.size
  }

  private releaser(o: StoredObject, h: { fd: number; users: number; retired: boolean }): () => void {
    let done = false
    return () => {
      if (done) return
      done = true
      if (--h.users === 0 && (h.retired || this.held.get(o) !== h)) close(h.fd, () => undefined)
    }
  }

  private trim(): void {
    for (const [o, h] of this.held) {
      if (this.held.size <= this.max) return
      this.held.delete(o)
      h.retired = true
      if (h.users === 0) close(h.fd, () => undefined)
    }
  }
}
