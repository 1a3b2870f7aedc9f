import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Dispatcher } from 'undici'
import type { FileEntry } from '../lib/title-package.js'
import { TokenBucket } from '../lib/token-bucket.js'
import type { FillProgress, FillRequest } from './api.js'
import type { DiskStore } from './disk-store.js'
import { download, ParentError, type VerifyFailure } from './download.js'

/**
 * Pre-positioning (the origin's push, Open Connect's nightly fill): fetch a
 * title's files from a parent with bounded concurrency and an optional
 * bandwidth cap, each one to a temp name, size- and sha256-verified, then
 * renamed into place. A file that fails verification is retried and its bad
 * bytes never reach the final name.
 *
 * Resume: a file already held with the listed sha256 is skipped, so posting
 * the same fill again after a crash, a parent failure or a purge-race only
 * moves what is missing (temp files of the interrupted run are removed when
 * the store opens).
 *
 * The request and the progress it reports are FillRequest / FillProgress in api.ts.
 */
export interface FillJobDeps {
  store: DiskStore
  dispatcher: Dispatcher
  urlFor: (parentBase: string, titleId: string, path: string) => string
  headersTimeoutMs: number
  bodyTimeoutMs: number
  /** attempts per file, first one included */
  attempts: number
  retryDelayMs: number
  onFillBytes?: (bytes: number) => void
  onVerifyFailure?: (reason: VerifyFailure) => void
  log?: { info: (o: object, msg: string) => void; warn: (o: object, msg: string) => void }
}

export class FillJob {
  readonly progress: FillProgress
  readonly finished: Promise<FillProgress>
  private readonly abort = new AbortController()

  constructor(
    private readonly deps: FillJobDeps,
    private readonly req: FillRequest & { parent: string; concurrency: number },
  ) {
    this.progress = {
      id: `fill-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
      titleId: req.titleId,
      parent: req.parent,
      status: 'running',
      startedAt: new Date().toISOString(),
      filesTotal: req.files.length,
      filesDone: 0,
      filesSkipped: 0,
      filesFailed: 0,
      bytesTotal: req.files.reduce((s, f) => s + f.bytes, 0),
      bytesFetched: 0,
      attempts: 0,
      errors: [],
    }
    this.finished = this.run()
  }

  cancel(): void {
    this.abort.abort()
  }

  private async run(): Promise<FillProgress> {
    const { store, log } = this.deps
    const p = this.progress
    log?.info({ fill: p.id, title: p.titleId, files: p.filesTotal, bytes: p.bytesTotal, parent: p.parent }, 'fill started')
    if (this.req.pin) await store.setPinned(p.titleId, true)
    const bucket = this.req.bandwidthBytesPerSec
      ? new TokenBucket(this.req.bandwidthBytesPerSec, Math.max(65536, this.req.bandwidthBytesPerSec / 4), Date.now())
      : undefined
    const queue = [...this.req.files]
    const worker = async (): Promise<void> => {
      for (let f = queue.shift(); f && !this.abort.signal.aborted; f = queue.shift()) await this.fetchFile(f, bucket)
    }
    await Promise.all(Array.from({ length: Math.min(this.req.concurrency, queue.length || 1) }, worker))
    p.status = this.abort.signal.aborted ? 'cancelled' : p.filesFailed > 0 ? 'failed' : 'done'
    p.finishedAt = new Date().toISOString()
    const level = p.status === 'done' ? 'info' : 'warn'
    log?.[level]({ fill: p.id, title: p.titleId, status: p.status, fetched: p.bytesFetched, skipped: p.filesSkipped, failed: p.filesFailed }, 'fill finished')
    return p
  }

  private async fetchFile(f: FileEntry, bucket: TokenBucket | undefined): Promise<void> {
    const { store } = this.deps
    const p = this.progress
    const held = store.get(p.titleId, f.path, false)
    if (held && held.sha256 === f.sha256 && held.bytes === f.bytes) {
      p.filesSkipped++
      return
    }
    let lastError = ''
    let tries = 0
    for (let attempt = 1; attempt <= this.deps.attempts && !this.abort.signal.aborted; attempt++) {
      p.attempts++
      tries++
      let release: (() => void) | undefined
      let counted = 0
      try {
        release = await store.reserve(f.bytes)
        const got = await download(this.deps.urlFor(p.parent, p.titleId, f.path), store.fileOf({ titleId: p.titleId, path: f.path }), {
          dispatcher: this.deps.dispatcher,
          signal: this.abort.signal,
          headersTimeoutMs: this.deps.headersTimeoutMs,
          bodyTimeoutMs: this.deps.bodyTimeoutMs,
          expectBytes: f.bytes,
          expectSha256: f.sha256,
          onChunk: async (chunk) => {
            counted += chunk.length
            p.bytesFetched += chunk.length
            this.deps.onFillBytes?.(chunk.length)
            const wait = bucket?.take(chunk.length, Date.now()) ?? 0
            if (wait > 0) await sleep(wait, undefined, { signal: this.abort.signal })
          },
        })
        try {
          await store.commit(p.titleId, f.path, got.tmp, got)
        } catch (err) {
          await rm(got.tmp, { force: true })
          throw err
        }
        p.filesDone++
        return
      } catch (err) {
        // Bytes of a failed attempt do not count as progress.
        p.bytesFetched -= counted
        lastError = (err as Error).message
        if (err instanceof ParentError && err.verify) this.deps.onVerifyFailure?.(err.verify)
        this.deps.log?.warn({ fill: p.id, path: f.path, attempt, err: lastError }, 'fill file attempt failed')
        if (err instanceof ParentError && err.status === 404) break
        if (attempt < this.deps.attempts && !this.abort.signal.aborted) await sleep(this.deps.retryDelayMs * attempt).catch(() => undefined)
      } finally {
        release?.()
      }
    }
    p.filesFailed++
    p.errors.push({ path: f.path, attempts: tries, error: this.abort.signal.aborted ? 'cancelled' : lastError })
  }
}
