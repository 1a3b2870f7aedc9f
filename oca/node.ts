import { Agent } from 'undici'
import { ChunkPool } from '../lib/http/file-pump.js'
import { signedTitlePrefix } from '../lib/http/signed-url.js'
import { STREAM_CHUNK_BYTES } from '../lib/http/title-serving.js'
import type { FillRequest, NodeStatus } from './api.js'
import { DiskStore } from './disk-store.js'
import { FillJob } from './fill-jobs.js'
import { HotTier } from './hot-tier.js'
import { InFlightBudget } from './in-flight-budget.js'
import { createMetrics, type OcaMetrics } from './metrics.js'
import { MissFiller } from './miss-fill.js'
import { OpenFiles } from './open-files.js'
import type { ResolvedOcaOptions } from './options.js'
import { OverloadMonitor } from './overload.js'
import { RateWindow } from './rate-window.js'

/**
 * The state of one cache node, shared by its route plugins: the two tiers,
 * the fill machinery, counters for /health and /metrics, drain and
 * fault-injection switches. No HTTP here.
 */
export type { NodeStatus } from './api.js'

type Log = { info: (o: object, msg: string) => void; warn: (o: object, msg: string) => void }

export class OcaNode {
  readonly startedAt = Date.now()
  readonly store: DiskStore
  readonly hot: HotTier
  readonly metrics: OcaMetrics
  readonly dispatcher: Agent
  readonly filler: MissFiller
  readonly overload: OverloadMonitor
  readonly inFlightBytes: InFlightBudget
  /** descriptors of stored objects kept open for the next disk hit */
  readonly openFiles = new OpenFiles()
  /** the chunk Buffers disk hits are sent through, reused from answer to answer */
  readonly chunks = new ChunkPool(STREAM_CHUNK_BYTES)
  readonly served = new RateWindow(10)
  readonly fills = new Map<string, FillJob>()
  inFlight = 0
  requestsTotal = 0
  draining = false
  /** fault injection: added before answering each title request */
  delayMs = 0

  constructor(
    readonly opts: ResolvedOcaOptions,
    private readonly log: Log,
  ) {
    this.inFlightBytes = new InFlightBudget(opts.limits.inFlightBytes)
    this.metrics = createMetrics({
      diskUsed: () => this.store.usage().usedBytes,
      memoryUsed: () => this.hot.usage().usedBytes,
      inFlight: () => this.inFlight,
      inFlightBytes: () => this.inFlightBytes.usedBytes,
    })
    this.hot = new HotTier({
      maxBytes: opts.memoryBytes,
      maxEntryBytes: opts.maxMemoryEntryBytes,
      onEvict: () => this.metrics.evictions.inc({ tier: 'memory', reason: 'evict' }),
      chargePinned: (bytes) => this.inFlightBytes.charge(bytes),
    })
    this.store = new DiskStore({
      dir: opts.storeDir,
      capacityBytes: opts.capacityBytes,
      policy: opts.evictionPolicy,
      onRemove: (o, reason) => {
        this.hot.delete(o.titleId, o.path)
        this.openFiles.forget(o)
        this.metrics.evictions.inc({ tier: 'disk', reason })
      },
    })
    this.dispatcher = new Agent({ connections: opts.fill.connections, keepAliveTimeout: 10_000 })
    this.filler = new MissFiller({
      store: this.store,
      hot: this.hot,
      dispatcher: this.dispatcher,
      urlsFor: (titleId, path) => [opts.parentUrl, opts.fallbackParentUrl].filter((u): u is string => !!u).map((u) => this.parentObjectUrl(u, titleId, path)),
      headersTimeoutMs: opts.fill.headersTimeoutMs,
      bodyTimeoutMs: opts.fill.bodyTimeoutMs,
      onParentLatency: (s, ok) => this.metrics.parentLatency.observe({ outcome: ok ? 'ok' : 'error' }, s),
      onFillBytes: (n) => this.metrics.fillBytes.inc({ kind: 'miss' }, n),
      onVerifyFailure: (reason) => this.metrics.fillVerifyFailures.inc({ reason, kind: 'miss' }),
    })
    this.overload = new OverloadMonitor(opts.overload)
  }

  /**
   * The same object at a parent. When this cluster signs URLs the parent
   * (an OCA of the same cluster) wants a token too; one valid for a minute
   * covers the fetch, since it is checked only before serving starts.
   */
  parentObjectUrl(base: string, titleId: string, path: string): string {
    const root = base.replace(/\/+$/, '')
    if (this.opts.signing) return `${root}${signedTitlePrefix(this.opts.signing.secret, titleId, Math.floor(Date.now() / 1000) + 60)}${path}`
    return `${root}/titles/${titleId}/${path}`
  }

  status(): NodeStatus {
    if (this.draining) return 'draining'
    return this.overload.state.overloaded ? 'overloaded' : 'ok'
  }

  startFill(req: FillRequest & { parent: string }): FillJob {
    const job = new FillJob(
      {
        store: this.store,
        dispatcher: this.dispatcher,
        urlFor: (base, titleId, path) => this.parentObjectUrl(base, titleId, path),
        headersTimeoutMs: this.opts.fill.headersTimeoutMs,
        bodyTimeoutMs: this.opts.fill.bodyTimeoutMs,
        attempts: this.opts.fill.attempts,
        retryDelayMs: this.opts.fill.retryDelayMs,
        onFillBytes: (n) => this.metrics.fillBytes.inc({ kind: 'prefill' }, n),
        onVerifyFailure: (reason) => this.metrics.fillVerifyFailures.inc({ reason, kind: 'prefill' }),
        log: this.log,
      },
      { ...req, concurrency: req.concurrency ?? this.opts.fill.concurrency },
    )
    this.fills.set(job.progress.id, job)
    return job
  }

  runningFill(titleId: string): FillJob | undefined {
    return [...this.fills.values()].find((j) => j.progress.titleId === titleId && j.progress.status === 'running')
  }

  /** Stop background work; in-flight fills are cancelled (their temp files removed). */
  async close(): Promise<void> {
    for (const j of this.fills.values()) j.cancel()
    await Promise.allSettled([...this.fills.values()].map((j) => j.finished))
    this.overload.close()
    await this.dispatcher.close()
  }
}
