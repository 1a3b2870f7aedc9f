import { LRUCache } from 'lru-cache'
import type { StoredObject } from './disk-store.js'

/**
 * The in-memory tier: whole objects as Buffers, bounded in bytes (lru-cache
 * `maxSize` + `sizeCalculation`), so a hot segment is answered with one
 * socket write and no filesystem call. Objects larger than `maxEntryBytes`
 * stay on disk only: one 100 MB file must not flush the whole working set.
 */
export interface HotEntry {
  body: Buffer
  meta: StoredObject
}

export interface HotTierOptions {
  maxBytes: number
  maxEntryBytes: number
  onEvict?: (e: HotEntry) => void
}

export class HotTier {
  private readonly cache: LRUCache<string, HotEntry> | undefined

  constructor(readonly opts: HotTierOptions) {
    // lru-cache refuses maxSize 0; a zero budget simply means no hot tier.
    this.cache =
      opts.maxBytes > 0
        ? new LRUCache<string, HotEntry>({
            maxSize: opts.maxBytes,
            maxEntrySize: Math.min(opts.maxEntryBytes, opts.maxBytes),
            sizeCalculation: (e) => Math.max(1, e.body.length),
            dispose: (e, _k, reason) => {
              if (reason === 'evict') opts.onEvict?.(e)
            },
          })
        : undefined
  }

  get(titleId: string, path: string): HotEntry | undefined {
    return this.cache?.get(`${titleId}/${path}`)
  }

  admits(bytes: number): boolean {
    return this.cache !== undefined && bytes <= Math.min(this.opts.maxEntryBytes, this.opts.maxBytes)
  }

  set(meta: StoredObject, body: Buffer): void {
    if (this.admits(body.length)) this.cache!.set(`${meta.titleId}/${meta.path}`, { body, meta })
  }

  delete(titleId: string, path: string): void {
    this.cache?.delete(`${titleId}/${path}`)
  }

  usage(): { usedBytes: number; capacityBytes: number; objects: number } {
    return { usedBytes: this.cache?.calculatedSize ?? 0, capacityBytes: this.opts.maxBytes, objects: this.cache?.size ?? 0 }
  }
}
