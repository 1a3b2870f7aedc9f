import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { ErrorCodes, OclabError } from '../lib/errors.js'
import type { PrepositionReport } from './preposition.js'

export interface AdminPrepositionOptions {
  /** Give up after this long (default 10 min: a pre-position fills every OCA, minutes on a busy machine). */
  deadlineMs?: number
  /** Time between status polls (default 300 ms: a report is seconds away, and each poll is one small GET). */
  pollMs?: number
  /** Fill even outside the fill window (default true: callers of the admin API ask for a fill now). */
  force?: boolean
  /** Only report what would be sent and evicted (default false). */
  dryRun?: boolean
}

/**
 * Ask a running origin to pre-position (`POST /admin/preposition`, origin/server.ts) and poll
 * `GET /admin/prepositions/:id` until the run is done, failed or past the deadline.
 */
export async function prepositionViaAdmin(originUrl: string, token: string, opts: AdminPrepositionOptions = {}): Promise<PrepositionReport> {
  const deadlineMs = opts.deadlineMs ?? 600_000
  const pollMs = opts.pollMs ?? 300
  const until = Date.now() + deadlineMs
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const res = await request(`${originUrl}/admin/preposition`, { method: 'POST', headers: auth, body: JSON.stringify({ force: opts.force ?? true, dryRun: opts.dryRun ?? false }) })
  const started = (await res.body.json()) as { id?: unknown }
  if (res.statusCode !== 202 || typeof started.id !== 'string') throw new OclabError(ErrorCodes.NOT_READY, `origin ${originUrl} refused the pre-position: HTTP ${res.statusCode}`)
  while (Date.now() < until) {
    await sleep(pollMs)
    const st = await request(`${originUrl}/admin/prepositions/${started.id}`, { headers: auth })
    const body = (await st.body.json()) as { status?: unknown; report?: PrepositionReport; error?: unknown }
    if (body.status === 'done' && body.report) return body.report
    if (body.status === 'failed') throw new OclabError(ErrorCodes.INTERNAL, `pre-position failed: ${String(body.error)}`)
  }
  throw new OclabError(ErrorCodes.NOT_READY, `pre-position ${started.id} on ${originUrl} not done after ${deadlineMs / 1000} s`)
}
