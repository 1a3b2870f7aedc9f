import { type ELDHistogram, monitorEventLoopDelay } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'

/**
 * Load shedding before the process falls over: a node whose event loop lags
 * or whose memory nears its limit answers 503 (and says `overloaded` in
 * /health so steering sends new sessions elsewhere) instead of queueing work
 * it cannot finish. Sampled on a timer, so the request path only reads a flag.
 */
export interface OverloadOptions {
  /** p99 event-loop delay over the last sample interval above which the node is overloaded; default 500 ms */
  maxEventLoopDelayMs?: number
  /** resident set size limit; none here, the OCA derives a default from its configuration (oca/options.ts defaultMaxRssBytes) */
  maxRssBytes?: number
  /** fraction of V8's heap limit in use; default 0.9 */
  maxHeapFraction?: number
  /** sampling interval; default 1000 ms */
  sampleIntervalMs?: number
}

export interface OverloadState {
  overloaded: boolean
  reasons: string[]
  eventLoopDelayMs: number
  rssBytes: number
  heapUsedBytes: number
  heapLimitBytes: number
}

export class OverloadMonitor {
  private readonly histogram: ELDHistogram
  private readonly timer: NodeJS.Timeout
  private current: OverloadState
  /**
   * The first interval's event-loop delay is the node's own start-up (module
   * loading, the disk store's scan, the first routes compiled), not load: a
   * node judged on it shed its first requests and answered /health with 503
   * right after it came up on a busy machine. So that window is not judged.
   */
  private warmingUp = true

  constructor(private readonly opts: OverloadOptions = {}) {
    this.histogram = monitorEventLoopDelay({ resolution: 10 })
    this.histogram.enable()
    this.current = this.sample()
    this.timer = setInterval(() => (this.current = this.sample()), opts.sampleIntervalMs ?? 1000)
    this.timer.unref()
  }

  get state(): OverloadState {
    return this.current
  }

  /** Re-sample now (tests and /health use it for a fresh answer). */
  sample(): OverloadState {
    const measured = this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : 0
    const delayMs = this.warmingUp ? 0 : measured
    if (this.histogram.count > 0) this.warmingUp = false
    this.histogram.reset()
    const mem = process.memoryUsage()
    const heapLimit = getHeapStatistics().heap_size_limit
    const reasons: string[] = []
    const maxDelay = this.opts.maxEventLoopDelayMs ?? 500
    if (delayMs > maxDelay) reasons.push(`event-loop delay p99 ${delayMs.toFixed(0)} ms > ${maxDelay} ms`)
    if (this.opts.maxRssBytes !== undefined && mem.rss > this.opts.maxRssBytes) reasons.push(`rss ${mem.rss} > ${this.opts.maxRssBytes} bytes`)
    const maxHeap = this.opts.maxHeapFraction ?? 0.9
    if (mem.heapUsed > maxHeap * heapLimit) reasons.push(`heap ${mem.heapUsed} > ${maxHeap} of ${heapLimit} bytes`)
    this.current = {
      overloaded: reasons.length > 0,
      reasons,
      eventLoopDelayMs: delayMs,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapLimitBytes: heapLimit,
    }
    return this.current
  }

  close(): void {
    clearInterval(this.timer)
    this.histogram.disable()
  }
}
