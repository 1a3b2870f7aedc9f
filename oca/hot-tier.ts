import { LRUCache } from 'lru-cache'
import { AccessFrequency } from './access-frequency.js'
import type { StoredObject } from './disk-store.js'

/**
 * The in-memory tier: whole objects as Buffers, bounded in bytes (lru-cache
 * `maxSize` + `sizeCalculation`), so a hot segment is answered with one
 * socket write and no filesystem call. Objects larger than `maxEntryBytes`
 * stay on disk only: one 100 MB file must not flush the whole working set.
 *
 * Eviction is LRU, admission is TinyLFU's: when an object would evict others,
 * it gets in only if it was asked for more often lately than each object it
 * would push out (access-frequency.ts). Plain LRU admits everything, so a
 * working set a little larger than the tier, played in turn (many viewers of
 * one title's segments), evicts every object just before it is asked for
 * again: every answer is a disk read plus a whole-object promotion read. With
 * the admission the tier keeps what it holds and answers its share from
 * memory, and an object that becomes popular still gets in.
 */
export interface HotEntry {
  body: Buffer
  meta: StoredObject
  /** answers still sending this Buffer */
  pins: number
  /** set when the tier let go of the entry while pinned: releases the in-flight charge for its bytes */
  unpinnedRelease?: () => void
}

export interface HotTierOptions {
  maxBytes: number
  maxEntryBytes: number
  onEvict?: (e: HotEntry) => void
  /**
   * The tier let go of a Buffer that answers still send: its bytes are no longer the tier's but still in memory,
   * so they are charged elsewhere (the in-flight budget) until the returned release, called when the last answer is done.
   */
  chargePinned?: (bytes: number) => () => void
}

export class HotTier {
  private readonly cache: LRUCache<string, HotEntry> | undefined
  /** Counted on every lookup (hits and misses alike), halved every 10 × max(64, entries held) lookups (TinyLFU's sample size). */
  private readonly frequency = new AccessFrequency(() => 10 * Math.max(64, this.cache?.size ?? 0))

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
              if (e.pins > 0 && opts.chargePinned) e.unpinnedRelease = opts.chargePinned(e.body.length)
            },
          })
        : undefined
  }

  /** The entry, if held; every lookup counts as an access for admission. */
  get(titleId: string, path: string): HotEntry | undefined {
    if (!this.cache) return undefined
    const key = `${titleId}/${path}`
    this.frequency.touch(key)
    return this.cache.get(key)
  }

  /**
   * Would set() take this object now: it fits the entry limit, and either there is room or it was asked for more
   * often than every least-recently-used entry it would evict. Callers ask before reading a whole object for it.
   */
  wouldAdmit(titleId: string, path: string, bytes: number): boolean {
    const cache = this.cache
    if (!cache || bytes > Math.min(this.opts.maxEntryBytes, this.opts.maxBytes)) return false
    const key = `${titleId}/${path}`
    let free = this.opts.maxBytes - cache.calculatedSize + (cache.peek(key)?.body.length ?? 0)
    if (free >= bytes) return true
    const wanted = this.frequency.of(key)
    // rkeys(): least recently used first, the order lru-cache evicts in.
    for (const k of cache.rkeys()) {
      if (k === key) continue
      if (this.frequency.of(k) >= wanted) return false
      free += Math.max(1, cache.peek(k)?.body.length ?? 0)
      if (free >= bytes) return true
    }
    return false
  }

  set(meta: StoredObject, body: Buffer): void {
    if (this.wouldAdmit(meta.titleId, meta.path, body.length)) this.cache!.set(`${meta.titleId}/${meta.path}`, { body, meta, pins: 0 })
  }

  /** An answer starts sending the entry's Buffer; call the returned function (once) when it is done. */
  pin(e: HotEntry): () => void {
    e.pins++
    let done = false
    return () => {
      if (done) return
      done = true
      if (--e.pins === 0 && e.unpinnedRelease) {
        e.unpinnedRelease()
        e.unpinnedRelease = undefined
      }
    }
  }

  delete(titleId: string, path: string): void {
    this.cache?.delete(`${titleId}/${path}`)
  }

  usage(): { usedBytes: number; capacityBytes: number; objects: number } {
    return { usedBytes: this.cache?.calculatedSize ?? 0, capacityBytes: this.opts.maxBytes, objects: this.cache?.size ?? 0 }
  }
}
