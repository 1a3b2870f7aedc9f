import type { Dispatcher } from 'undici'
import { OriginClient } from '../origin/index.js'

/**
 * Which titles exist: the origin's `/catalog`, read when a title is asked
 * for that no OCA holds (the rare case: OCAs report what they hold in every
 * health answer). So a title nobody ever packaged gets 404 instead of signed
 * URLs to OCAs that would fill it from nowhere. Read at most once per
 * `refreshMs` whatever the request rate (one fetch in flight, shared); a
 * title ingested a moment ago is seen after at most that long.
 */
export interface TitleCatalogOptions {
  originUrl: string
  /** how old a read catalog may be before a title missing from it triggers a new read; default 1000 ms */
  refreshMs: number
  timeoutMs: number
  dispatcher?: Dispatcher
  /** a failed read, for the log (the body a client gets never carries the origin's address) */
  onError?: (message: string) => void
}

export class TitleCatalog {
  private ids: Set<string> | null = null
  private readAt = Number.NEGATIVE_INFINITY
  private inflight: Promise<void> | null = null

  private readonly origin: OriginClient

  constructor(private readonly opts: TitleCatalogOptions) {
    this.origin = new OriginClient(opts.originUrl, undefined, { timeoutMs: opts.timeoutMs, ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}) })
  }

  /** true or false as the catalog says; null when it has never been read (the origin is unreachable). */
  async has(title: string): Promise<boolean | null> {
    if (this.ids?.has(title)) return true
    if (performance.now() - this.readAt >= this.opts.refreshMs) {
      this.inflight ??= this.read().finally(() => {
        this.inflight = null
      })
      await this.inflight
    }
    return this.ids ? this.ids.has(title) : null
  }

  private async read(): Promise<void> {
    try {
      this.ids = new Set((await this.origin.catalog()).titles.map((t) => t.id))
    } catch (err) {
      // a stale catalog is kept: better than none while the origin is away (the message names the URL)
      this.opts.onError?.(`cannot read the title catalog: ${(err as Error).message}`)
    } finally {
      this.readAt = performance.now()
    }
  }
}
