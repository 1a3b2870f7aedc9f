import { request } from 'undici'
import { adminAuthHeader } from '../lib/http/admin-token.js'
import type { FileEntry } from '../lib/title-package.js'
import type { HeldTitle } from './fill-plan.js'

/**
 * The OCA admin API as the origin drives it (oca/admin-routes.ts): list what
 * a node holds, start a fill, read a fill's progress, pin, purge. Every call
 * has a deadline, so a node that hangs is reported like one that is down.
 */
export interface OcaFillProgress {
  id: string
  titleId: string
  status: 'running' | 'done' | 'failed' | 'cancelled'
  bytesTotal: number
  bytesFetched: number
  filesDone: number
  filesSkipped: number
  filesFailed: number
  errors: { path: string; attempts: number; error: string }[]
}

export class OcaClient {
  constructor(readonly base: string, private readonly token: string, private readonly timeoutMs = 5000) {}

  private async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await request(`${this.base.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { ...adminAuthHeader(this.token), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    })
    const text = await res.body.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = { error: text }
    }
    return { status: res.statusCode, json: json as T }
  }

  private static failed(what: string, status: number, json: unknown): Error {
    return new Error(`${what}: HTTP ${status}${json && typeof json === 'object' && 'error' in json ? ` ${String(json.error)}` : ''}`)
  }

  async titles(): Promise<HeldTitle[]> {
    const r = await this.call<{ titles: HeldTitle[] }>('GET', '/admin/titles')
    if (r.status !== 200) throw OcaClient.failed('GET /admin/titles', r.status, r.json)
    return r.json.titles
  }

  /** Start a fill; a fill of the same title already running is joined instead. */
  async fill(req: { titleId: string; files: FileEntry[]; parent: string; pin: boolean; bandwidthBytesPerSec?: number }): Promise<OcaFillProgress> {
    const r = await this.call<OcaFillProgress & { fill?: OcaFillProgress }>('POST', '/admin/fill', req)
    if (r.status === 202) return r.json
    if (r.status === 409 && r.json.fill) return r.json.fill
    throw OcaClient.failed('POST /admin/fill', r.status, r.json)
  }

  async progress(id: string): Promise<OcaFillProgress> {
    const r = await this.call<OcaFillProgress>('GET', `/admin/fills/${encodeURIComponent(id)}`)
    if (r.status !== 200) throw OcaClient.failed(`GET /admin/fills/${id}`, r.status, r.json)
    return r.json
  }

  async pin(titleId: string): Promise<void> {
    const r = await this.call('PUT', `/admin/titles/${encodeURIComponent(titleId)}/pin`, { pinned: true })
    if (r.status !== 200) throw OcaClient.failed('PUT pin', r.status, r.json)
  }

  async purge(titleId: string): Promise<number> {
    const r = await this.call<{ bytesFreed: number }>('DELETE', `/admin/titles/${encodeURIComponent(titleId)}`)
    if (r.status !== 200) throw OcaClient.failed(`DELETE /admin/titles/${titleId}`, r.status, r.json)
    return r.json.bytesFreed
  }
}
