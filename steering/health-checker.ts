import { performance } from 'node:perf_hooks'
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { Agent, request } from 'undici'
import { type HealthThresholds, judge, nextHealth, type Probe } from './health-state.js'
import type { OcaRegistry } from './registry.js'

/**
 * Active health checks: poll every OCA's `GET /health` (oca/health-routes.ts)
 * every `intervalMs`, each poll bounded by `timeoutMs`, and feed the result
 * through the hysteresis in health-state.ts. One timer chain per OCA, so a
 * slow node does not delay the polls of the others.
 */
export interface HealthCheckOptions extends HealthThresholds {
  /** time between polls of one OCA; default 1000 ms */
  intervalMs: number
  /** a poll with no complete answer by then failed; default 1000 ms */
  timeoutMs: number
}

/** Only the fields steering reads; the rest of the body may grow freely. */
const HealthBody = TypeCompiler.Compile(
  Type.Object({
    status: Type.Union([Type.Literal('ok'), Type.Literal('draining'), Type.Literal('overloaded')]),
    bytesServedPerSecond: Type.Number({ minimum: 0 }),
    titles: Type.Array(Type.String()),
  }),
)

export class HealthChecker {
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly agent: Agent
  private running = false

  constructor(
    private readonly registry: OcaRegistry,
    private readonly opts: HealthCheckOptions,
    private readonly onChange?: (id: string, from: string, to: string, reason: string) => void,
  ) {
    this.agent = new Agent({ keepAliveTimeout: 10_000, connections: 2, connect: { timeout: opts.timeoutMs } })
  }

  private closing: Promise<void> | undefined

  start(): void {
    this.running = true
    this.sync()
  }

  /** Start polling OCAs that were added and forget removed ones (call after registry.add/remove). */
  sync(): void {
    if (!this.running) return
    const ids = new Set(this.registry.list().map((e) => e.config.id))
    for (const [id, t] of this.timers) {
      if (!ids.has(id)) {
        clearTimeout(t)
        this.timers.delete(id)
      }
    }
    for (const id of ids) if (!this.timers.has(id)) this.schedule(id, 0)
  }

  /** Stop polling and close the connections; safe to call again (a closed agent would throw). */
  async stop(): Promise<void> {
    this.running = false
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    this.closing ??= this.agent.close()
    await this.closing
  }

  /** Poll every OCA once now and apply the results (tests and the CLI's first round). */
  async pollAll(): Promise<void> {
    await Promise.all(this.registry.list().map((e) => this.pollOne(e.config.id)))
  }

  private schedule(id: string, delay: number): void {
    const t = setTimeout(async () => {
      await this.pollOne(id)
      if (this.running && this.timers.get(id) === t) this.schedule(id, this.opts.intervalMs)
    }, delay)
    this.timers.set(id, t)
  }

  async pollOne(id: string): Promise<void> {
    const entry = this.registry.get(id)
    if (!entry) return
    const probe = await this.probe(entry.config.url)
    const current = this.registry.get(id)
    // Removed or replaced while the poll was in flight: the answer is about a node we no longer track.
    if (current !== entry) return
    const next = nextHealth(entry.health, probe, judge(probe, entry.config.bandwidthBps, this.opts), this.opts)
    if (next.state !== entry.health.state) this.onChange?.(id, entry.health.state, next.state, next.reason)
    this.registry.setHealth(id, next)
  }

  private async probe(base: string): Promise<Probe> {
    const at = Date.now()
    const t0 = performance.now()
    try {
      const res = await request(`${base.replace(/\/+$/, '')}/health`, {
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        headers: { accept: 'application/json' },
      })
      const text = await res.body.text()
      const ms = performance.now() - t0
      if (res.statusCode !== 200 && res.statusCode !== 503) return { at, ms, error: `health answered HTTP ${res.statusCode}` }
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        return { at, ms, error: 'health answer is not JSON' }
      }
      if (!HealthBody.Check(body)) return { at, ms, error: 'health answer lacks status/bytesServedPerSecond/titles' }
      return { at, ms, status: body.status, bytesPerSecond: body.bytesServedPerSecond, titles: body.titles }
    } catch (err) {
      const e = err as Error & { code?: string; cause?: { code?: string } }
      const what = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${this.opts.timeoutMs} ms` : (e.code ?? e.cause?.code ?? e.message)
      return { at, error: `health poll failed: ${what}` }
    }
  }
}
