import { rm } from 'node:fs/promises'
import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { DiskStore, StoredObject } from './disk-store.js'
import { download, ParentError, type VerifyFailure } from './download.js'
import type { HotTier } from './hot-tier.js'

/**
 * Fill on miss with request collapsing: the first request for an object the
 * node lacks starts one parent fetch; every request for it while that fetch
 * runs joins it. Each joiner gets a stream that replays the chunks received
 * so far and then follows the fetch live, so no client waits for the whole
 * object and the parent sees exactly one request.
 *
 * Integrity: every fill is verified. The sha256 comes from a held title.json
 * or else from the parent's RFC 9530 Repr-Digest; a parent that gives
 * neither is refused before a byte is served. The bytes are hashed as they
 * stream, the last byte received is always held back, and the final one is
 * released only once the object is verified and committed. A client therefore
 * never receives a complete-looking body that was not stored intact: on a
 * failure mid-body its stream errors and the connection is cut (the
 * Content-Length promise is broken, which every player treats as a failed
 * download). Clients still waiting for headers get 502/504.
 *
 * Memory: a fill keeps its chunks until it finishes (segments are a few MB;
 * the finished buffer goes to the hot tier anyway).
 */
export interface MissFillOptions {
  store: DiskStore
  hot: HotTier
  dispatcher: Dispatcher
  /** `${parentUrl}/titles/<id>/<path>`, signed when the parent needs it; then any fallback parents, tried in order */
  urlsFor: (titleId: string, path: string) => string[]
  headersTimeoutMs: number
  bodyTimeoutMs: number
  onParentLatency?: (seconds: number, ok: boolean) => void
  onFillBytes?: (bytes: number) => void
  /** a parent's answer was refused by verification (counted as oca_fill_verify_failures_total) */
  onVerifyFailure?: (reason: VerifyFailure) => void
}

export class InflightFill {
  size: number | undefined
  etag: string | undefined
  /** the sha256 the fill is verified against (title.json or the parent's Repr-Digest), known once started */
  sha256: string | undefined
  readonly chunks: Buffer[] = []
  private received = 0
  /** bytes readers may see: all but the last byte until the object is verified */
  private visible = 0
  private finished = false
  private error: ParentError | undefined
  private wake: (() => void)[] = []
  /** resolves when the parent answered 200 (the size is then known if the parent said it) */
  readonly started: Promise<void>
  /** resolves with the stored object once verified and committed */
  readonly done: Promise<StoredObject>

  constructor(run: (f: InflightFill, onStarted: () => void) => Promise<StoredObject>) {
    let onStarted!: () => void
    const started = new Promise<void>((resolve) => (onStarted = resolve))
    this.done = run(this, onStarted)
    // Waiters for `started` must also hear about failures before headers.
    this.started = Promise.race([started, this.done.then(() => undefined)])
    // Either promise may have no waiter (HEAD, Range and conditional requests
    // wait on `done` only; nobody waits once every client has gone): a failed
    // fill is reported to the requests that wait, never as an unhandled
    // rejection, which would take the whole node down.
    this.done.catch(() => undefined)
    this.started.catch(() => undefined)
  }

  /** internal: a chunk arrived */
  push(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.received += chunk.length
    this.visible = Math.max(0, this.received - 1)
    this.notify()
  }

  /** internal: verified and committed, or failed */
  finish(err?: ParentError): void {
    this.finished = true
    this.error = err
    if (!err) this.visible = this.received
    this.notify()
  }

  private notify(): void {
    const w = this.wake
    this.wake = []
    for (const f of w) f()
  }

  /** A reader of the whole object from byte 0, live. */
  stream(): Readable {
    const self = this
    async function* replay(): AsyncGenerator<Buffer> {
      let chunk = 0
      let offset = 0 // within chunks[chunk]
      let sent = 0
      for (;;) {
        while (sent < self.visible) {
          const c = self.chunks[chunk]!
          const take = Math.min(c.length - offset, self.visible - sent)
          yield offset === 0 && take === c.length ? c : c.subarray(offset, offset + take)
          sent += take
          offset += take
          if (offset === c.length) {
            chunk++
            offset = 0
          }
        }
        if (self.error) throw self.error
        if (self.finished) return
        await new Promise<void>((resolve) => self.wake.push(resolve))
      }
    }
    return Readable.from(replay(), { objectMode: false })
  }
}

export class MissFiller {
  private readonly inflight = new Map<string, InflightFill>()

  constructor(private readonly opts: MissFillOptions) {}

  /** Number of fills in progress (for health and tests). */
  get active(): number {
    return this.inflight.size
  }

  /** Join the fill for this object, starting it if none runs. `joined` says whether it was collapsed into another request's fill. */
  fill(titleId: string, path: string): { fill: InflightFill; joined: boolean } {
    const key = `${titleId}/${path}`
    const existing = this.inflight.get(key)
    if (existing) return { fill: existing, joined: true }
    const f = new InflightFill((self, onStarted) => this.run(self, onStarted, titleId, path))
    this.inflight.set(key, f)
    const forget = (): void => {
      if (this.inflight.get(key) === f) this.inflight.delete(key)
    }
    f.done.then(forget, forget)
    return { fill: f, joined: false }
  }

  private async run(f: InflightFill, onStarted: () => void, titleId: string, path: string): Promise<StoredObject> {
    const { store, hot } = this.opts
    const expected = store.expected(titleId, path)
    const started = process.hrtime.bigint()
    let release: (() => void) | undefined
    try {
      const urls = this.opts.urlsFor(titleId, path)
      let got: Awaited<ReturnType<typeof download>> | undefined
      for (let i = 0; !got; i++) {
        try {
          got = await download(urls[i]!, store.fileOf({ titleId, path }), {
            dispatcher: this.opts.dispatcher,
            headersTimeoutMs: this.opts.headersTimeoutMs,
            bodyTimeoutMs: this.opts.bodyTimeoutMs,
            expectBytes: expected?.bytes,
            expectSha256: expected?.sha256,
            requireVerification: true,
            onResponse: async (info) => {
              this.opts.onParentLatency?.(Number(process.hrtime.bigint() - started) / 1e9, true)
              if (info.size !== undefined) release = await store.reserve(info.size)
              f.size = info.size
              f.etag = info.etag
              f.sha256 = info.sha256
              onStarted()
            },
            onChunk: (chunk) => {
              f.push(chunk)
              this.opts.onFillBytes?.(chunk.length)
            },
          })
        } catch (err) {
          if (err instanceof ParentError && err.verify) this.opts.onVerifyFailure?.(err.verify)
          // only a parent that failed before sending a byte can be replaced: clients may already hold its bytes
          const notFound = err instanceof ParentError && err.status === 404
          if (f.size !== undefined || f.chunks.length || notFound || i + 1 >= urls.length) throw err
        }
      }
      let meta: StoredObject
      try {
        release ??= await store.reserve(got.bytes)
        meta = await store.commit(titleId, path, got.tmp, got)
      } catch (err) {
        await rm(got.tmp, { force: true })
        throw err
      }
      // Joined into one Buffer only when the hot tier would take it.
      if (hot.wouldAdmit(meta.titleId, meta.path, meta.bytes)) hot.set(meta, Buffer.concat(f.chunks))
      f.finish()
      return meta
    } catch (err) {
      const e = err instanceof ParentError ? err : new ParentError((err as Error).message, 502)
      if (f.size === undefined) this.opts.onParentLatency?.(Number(process.hrtime.bigint() - started) / 1e9, false)
      f.finish(e)
      throw e
    } finally {
      release?.()
    }
  }
}
