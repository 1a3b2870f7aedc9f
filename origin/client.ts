import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCodes, OclabError } from '../lib/errors.js'
import { ApiClient, type ApiClientOptions } from '../lib/http/api-client.js'
import { type Catalog, checks, type OriginHealth, type PrepositionReport, type PrepositionRun } from './api.js'

/**
 * The origin's JSON API as other processes call it (the CLI, the console,
 * steering's title catalog, the load harness): the catalog, health, and the
 * pre-position admin endpoints behind the cluster token. Every answer is
 * checked against the schema in api.ts that the server types it with; a wrong
 * shape is OCLAB_ERR_BAD_RESPONSE, an error status or no answer within
 * `timeoutMs` OCLAB_ERR_UPSTREAM_FAILED (with the origin's reason when it gave one).
 */
export class OriginClient {
  private readonly api: ApiClient

  /** `token` is the cluster admin token (needed by the /admin/ calls only). */
  constructor(base: string, token?: string, opts: Omit<ApiClientOptions, 'token'> = {}) {
    this.api = new ApiClient('origin', base, { ...opts, token })
  }

  get base(): string {
    return this.api.base
  }

  /** `GET /catalog`: every title the master store holds, and where the last pre-position placed it. */
  async catalog(): Promise<Catalog> {
    return this.api.expect(await this.api.call('GET', '/catalog'), checks.catalog)
  }

  async health(): Promise<OriginHealth> {
    return this.api.expect(await this.api.call('GET', '/health'), checks.health)
  }

  /** Start a pre-position run; resolves to its id. A run already in progress is OCLAB_ERR_UPSTREAM_FAILED (409). */
  async startPreposition(body: { force?: boolean; dryRun?: boolean } = {}): Promise<string> {
    return this.api.expect(await this.api.call('POST', '/admin/preposition', body), checks.started, [202]).id
  }

  async prepositionRun(id: string): Promise<PrepositionRun> {
    return this.api.expect(await this.api.call('GET', `/admin/prepositions/${encodeURIComponent(id)}`), checks.run)
  }
}

export interface AdminPrepositionOptions {
  /** Give up after this long (default 10 min: a pre-position fills every OCA, minutes on a busy machine). */
  deadlineMs?: number
  /** Time between status polls (default 300 ms: a report is seconds away, and each poll is one small GET). */
  pollMs?: number
  /** Fill even outside the fill window (default true: callers of the admin API ask for a fill now). */
  force?: boolean
  /** Only report what would be sent and evicted (default false). */
  dryRun?: boolean
  /** deadline of each call (default the client's 5 s) */
  timeoutMs?: number
}

/**
 * Ask a running origin to pre-position (`POST /admin/preposition`) and poll
 * `GET /admin/prepositions/:id` until the run is done, failed or past the deadline.
 */
export async function prepositionViaAdmin(originUrl: string, token: string, opts: AdminPrepositionOptions = {}): Promise<PrepositionReport> {
  const deadlineMs = opts.deadlineMs ?? 600_000
  const pollMs = opts.pollMs ?? 300
  const until = Date.now() + deadlineMs
  const origin = new OriginClient(originUrl, token, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {})
  const id = await origin.startPreposition({ force: opts.force ?? true, dryRun: opts.dryRun ?? false })
  while (Date.now() < until) {
    await sleep(pollMs)
    const run = await origin.prepositionRun(id)
    if (run.status === 'done' && run.report) return run.report
    if (run.status === 'failed') throw new OclabError(ErrorCodes.INTERNAL, `pre-position failed: ${run.error ?? 'no reason given'}`)
  }
  throw new OclabError(ErrorCodes.NOT_READY, `pre-position ${id} on ${originUrl} not done after ${deadlineMs / 1000} s`)
}
