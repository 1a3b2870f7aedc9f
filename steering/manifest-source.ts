import { LRUCache } from 'lru-cache'
import { Agent, request } from 'undici'
import { ErrorCodes, OclabError } from '../lib/errors.js'

/**
 * Where a title's packaged master playlist / MPD comes from: the OCAs that
 * hold it (best first), then the origin. Kept for `cacheMs` and fetched once
 * however many players ask at the same moment.
 */
export type ManifestKind = 'master.m3u8' | 'manifest.mpd'

export class ManifestSource {
  private readonly cache: LRUCache<string, Promise<string>>
  private readonly agent: Agent

  constructor(private readonly opts: { cacheMs: number; timeoutMs: number; maxTitles?: number }) {
    this.cache = new LRUCache({ max: opts.maxTitles ?? 1000, ttl: Math.max(1, opts.cacheMs) })
    this.agent = new Agent({ keepAliveTimeout: 10_000, connect: { timeout: opts.timeoutMs } })
  }

  /** `bases`: title directory URLs (ending in `/`) to try in order. */
  get(title: string, kind: ManifestKind, bases: readonly string[]): Promise<string> {
    const key = `${title}\n${kind}`
    const hit = this.cache.get(key)
    if (hit) return hit
    const p = this.fetchFirst(kind, bases)
    this.cache.set(key, p)
    // A failure is not cached: the next player retries (an OCA may be back).
    p.catch(() => this.cache.delete(key))
    return p
  }

  async close(): Promise<void> {
    await this.agent.close()
  }

  private async fetchFirst(kind: ManifestKind, bases: readonly string[]): Promise<string> {
    const tried: string[] = []
    let allMissing = true
    for (const base of bases) {
      const url = new URL(kind, base).href
      try {
        const res = await request(url, { dispatcher: this.agent, signal: AbortSignal.timeout(this.opts.timeoutMs) })
        const text = await res.body.text()
        if (res.statusCode === 200) return text
        if (res.statusCode !== 404) allMissing = false
        tried.push(`${url}: HTTP ${res.statusCode}`)
      } catch (err) {
        allMissing = false
        tried.push(`${url}: ${(err as Error).message}`)
      }
    }
    // the message goes to players: it names no address; `details` (for the log) says what was tried
    const why = !bases.length
      ? 'nowhere to fetch it from'
      : allMissing
        ? 'no OCA holding the title nor the origin has it'
        : 'no OCA holding the title nor the origin answered with it'
    throw new OclabError(allMissing ? ErrorCodes.NOT_FOUND : ErrorCodes.PARENT_FAILED, `cannot fetch ${kind}: ${why}`, tried)
  }
}
